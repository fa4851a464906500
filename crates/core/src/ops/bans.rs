//! Operations on bans (protocol.md §3.4).

#[allow(unused_imports)]
use super::{Actor, Core};
