//! The few gateway payload bodies that describe data-model facts (the full gateway protocol
//! lives in the gateway crate): HELLO, READY, `GET /gateway/bot` and VOICE_SERVER_UPDATE.

use serde::{Deserialize, Serialize};

use crate::guild::UnavailableGuild;
use crate::id::Id;
use crate::id::marker::GuildMarker;
use crate::user::{PartialApplication, User};

/// op 10 HELLO `d`. The interval must be an integer (twilight rejects floats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub heartbeat_interval: u64,
}

/// READY `d` (protocol.md §1.5 step 4; client-libraries.md §6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    pub v: u8,
    pub user: User,
    pub guilds: Vec<UnavailableGuild>,
    pub session_id: String,
    pub resume_gateway_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    pub application: PartialApplication,
}

/// `session_start_limit` of `GET /gateway/bot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStartLimit {
    pub total: u32,
    pub remaining: u32,
    pub reset_after: u64,
    pub max_concurrency: u32,
}

/// `GET /gateway/bot`: discord.js needs all of `url`, `shards` and `session_start_limit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBot {
    pub url: String,
    pub shards: u32,
    pub session_start_limit: SessionStartLimit,
}

/// VOICE_SERVER_UPDATE `d`; `endpoint: null` means the voice server went away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceServerUpdate {
    pub token: String,
    pub guild_id: Id<GuildMarker>,
    pub endpoint: Option<String>,
}
