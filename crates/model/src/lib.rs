//! Discord API v10 wire types for guildhall.
//!
//! Only data shapes live here: typed snowflake ids ([`Id`]), the snowflake generator (which
//! takes the clock as an argument), Discord's timestamp form, permission and flag bit sets,
//! integer enums that keep unknown values, and the JSON objects of protocol.md §3.6. No IO,
//! no async runtime. Emitting exactly what Discord emits is the point: real client
//! libraries index keys unconditionally (client-libraries.md §0, §6).

pub mod channel;
pub mod commands;
pub mod flags;
pub mod gateway;
pub mod guild;
pub mod id;
pub mod invite;
pub mod message;
pub mod nullable;
pub mod presence;
pub mod snowflake;
pub mod timestamp;
pub mod user;
pub mod voice;
pub mod webhook;
mod wire_enum;

pub use flags::Permissions;
pub use id::Id;
pub use nullable::Nullable;
pub use snowflake::SnowflakeGenerator;
pub use timestamp::Timestamp;
