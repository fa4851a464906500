//! guildhall's domain, independent of any transport.
//!
//! REST handlers and gateway sessions both call into this crate so that one code path decides
//! what is allowed: [`ops`] holds every operation (validate → authorize → store → publish) as a
//! method of [`ops::Core`]; [`permissions`] computes a member's permissions exactly as Discord
//! does (protocol.md §4), [`hierarchy`] decides who may manage which role or member, [`limits`]
//! holds Discord's input limits and the 50035 form-error shape, [`token`] issues and checks
//! bot/user tokens, and [`error`] is the one error type with Discord's codes.

pub mod defaults;
pub mod error;
pub mod hierarchy;
pub mod limits;
pub mod ops;
pub mod permissions;
pub mod seed;
pub mod token;
pub mod voice_servers;

pub use error::{Code, Error, ErrorKind};
pub use ops::guilds::{DEFAULT_LARGE_THRESHOLD, GuildCreateOptions};
pub use ops::request_members::MembersResult;
pub use ops::{Actor, Core};
pub use voice_servers::{VoiceDirectory, VoiceGrant, VoiceServer};
