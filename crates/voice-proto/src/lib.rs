//! The voice server's protocol core, with no sockets and no clock of its own (architecture.md
//! "voice"): the voice WebSocket session ([`signal`]), UDP IP discovery ([`discovery`]), RTP and
//! RTCP parsing ([`rtp`]), Discord's transport encryption modes ([`crypto`]) and the forwarding
//! decisions of the SFU ([`sfu`]). Time comes in as an argument; output comes back as values the
//! driver (crate `guildhall-voice`) writes to its sockets.

pub mod crypto;
pub mod discovery;
mod error;
pub mod rtp;
pub mod sfu;
pub mod signal;

pub use error::Error;
