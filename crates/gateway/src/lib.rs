//! The Discord gateway v10 (protocol.md §1–2, architecture.md "gateway").
//!
//! - [`protocol`]: opcodes, close codes, client frame parsing, server envelopes (no IO).
//! - [`connection`]: the sans-IO state machine of one connection (HELLO, heartbeats, limits,
//!   order rules, close codes), driven with made-up time in its tests.
//! - [`outbox`]: the per-session replay buffer that is also its bounded outbound queue.
//! - [`compress`]: zlib-stream and zstd-stream, one context per connection.
//! - [`hub`]: the node's sessions, indexed by guild and user, and the fan-out that routes each
//!   bus event (serialized once) to the sessions whose intents and permissions allow it.
//! - [`routes`]: the axum WebSocket driver (thin: it feeds the state machine and writes).

pub mod compress;
pub mod connection;
mod driver;
pub mod hub;
pub mod outbox;
pub mod protocol;
mod start;

pub use connection::{Close, ConnectionConfig};
pub use driver::routes;
pub use hub::{GatewayConfig, Hub};
