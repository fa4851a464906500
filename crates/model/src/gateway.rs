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
    /// Bots only (discord.js and twilight require it for bots); user sessions have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<PartialApplication>,
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

/// op 2 IDENTIFY `d` (protocol.md §1.5 step 3). `intents` stays a raw number so the gateway can
/// tell unknown bits (4013) from a missing field; `presence` is parsed by the presence code.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Identify {
    pub token: String,
    #[serde(default)]
    pub intents: Option<u64>,
    #[serde(default)]
    pub large_threshold: Option<u64>,
    #[serde(default)]
    pub shard: Option<[u32; 2]>,
    #[serde(default)]
    pub presence: Option<serde_json::Value>,
    /// Payload compression (ignored: transport compression is offered instead).
    #[serde(default)]
    pub compress: Option<bool>,
    #[serde(default)]
    pub properties: Option<serde_json::Value>,
}

/// op 6 RESUME `d`. `seq` is null when the client saw no dispatch before it dropped.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Resume {
    pub token: String,
    pub session_id: String,
    #[serde(default)]
    pub seq: Option<u64>,
}

#[cfg(test)]
mod command_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn identify_as_discord_py_sends_it() {
        let d = serde_json::json!({
            "token": "abc", "properties": {"os": "linux", "browser": "discord.py", "device": "discord.py"},
            "compress": true, "large_threshold": 250, "intents": 3276799,
            "presence": {"status": "online", "game": null, "since": 0, "afk": false}
        });
        let identify: Identify = serde_json::from_value(d).unwrap();
        assert_eq!(identify.intents, Some(3_276_799));
        assert_eq!(identify.large_threshold, Some(250));
        assert!(identify.shard.is_none());
    }

    #[test]
    fn resume_accepts_null_seq() {
        let r: Resume =
            serde_json::from_value(serde_json::json!({"token": "t", "session_id": "s", "seq": null})).unwrap();
        assert_eq!(r.seq, None);
    }
}
