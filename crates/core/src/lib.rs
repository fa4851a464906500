//! guildhall's domain rules, independent of any transport.
//!
//! REST handlers and gateway sessions both call into this crate so that one code path decides
//! what is allowed: [`permissions`] computes a member's permissions exactly as Discord does
//! (protocol.md §4), [`hierarchy`] decides who may manage which role or member, [`limits`]
//! holds Discord's input limits and the 50035 form-error shape, and [`token`] issues and checks
//! bot/user tokens.

pub mod defaults;
pub mod hierarchy;
pub mod limits;
pub mod permissions;
pub mod token;
