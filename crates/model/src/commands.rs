//! Gateway command bodies that core executes (protocol.md §1.3): op 4 VOICE_STATE_UPDATE and
//! op 8 REQUEST_GUILD_MEMBERS, and the GUILD_MEMBERS_CHUNK answer to op 8 (§2.4). op 3 lives
//! in [`crate::presence`].
//!
//! Ids are read through [`Id`]'s deserializer, which takes strings and integers alike:
//! discord.py sends `guild_id`/`channel_id` (and `user_ids`) as JSON integers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::guild::Member;
use crate::id::Id;
use crate::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use crate::presence::Presence;

/// op 4 `d`: join, move to or leave (`channel_id: null`) a guild's voice channel, or change
/// the self-mute/deafen flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVoiceState {
    pub guild_id: Id<GuildMarker>,
    pub channel_id: Option<Id<ChannelMarker>>,
    #[serde(default)]
    pub self_mute: bool,
    #[serde(default)]
    pub self_deaf: bool,
    #[serde(default)]
    pub self_video: bool,
    /// Screen share on. Not in Discord's documented op 4 (its clients announce a Go Live stream
    /// with op 18); guildhall's web client sets it, and clients that omit it keep `false`.
    #[serde(default)]
    pub self_stream: bool,
}

/// The longest nonce Discord echoes; a longer one is ignored.
pub const MAX_NONCE_BYTES: usize = 32;

/// op 8 `d`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestGuildMembers {
    pub guild_id: Id<GuildMarker>,
    /// Prefix of username, global name or nickname; `""` with `limit: 0` asks for everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default)]
    pub limit: u32,
    #[serde(default)]
    pub presences: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<UserIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl RequestGuildMembers {
    /// The nonce to echo: Discord ignores one longer than 32 bytes.
    pub fn valid_nonce(&self) -> Option<&str> {
        self.nonce.as_deref().filter(|n| n.len() <= MAX_NONCE_BYTES)
    }
}

/// `user_ids` of op 8: one snowflake or an array. Each item is kept as sent, because unknown or
/// malformed ids are echoed back unchanged in the chunk's `not_found`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserIds(pub Vec<serde_json::Value>);

impl UserIds {
    /// Each item as sent, with the user id it names (`None` when it is not a snowflake).
    pub fn parsed(&self) -> impl Iterator<Item = (&serde_json::Value, Option<Id<UserMarker>>)> {
        self.0.iter().map(|v| (v, Id::deserialize(v).ok()))
    }

    /// Number of ids given.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no id was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for UserIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Array(items) => Self(items),
            one => Self(vec![one]),
        })
    }
}

impl Serialize for UserIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// GUILD_MEMBERS_CHUNK `d` (protocol.md §2.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildMembersChunk {
    pub guild_id: Id<GuildMarker>,
    pub members: Vec<Member>,
    pub chunk_index: u32,
    pub chunk_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presences: Option<Vec<Presence>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn voice_state_update_takes_string_and_integer_ids() {
        let a: UpdateVoiceState = serde_json::from_value(json!({
            "guild_id": 1_000_000_000_000_000_001_u64, "channel_id": 1_000_000_000_000_000_011_u64,
            "self_mute": false, "self_deaf": true
        }))
        .unwrap();
        let b: UpdateVoiceState = serde_json::from_value(json!({
            "guild_id": "1000000000000000001", "channel_id": "1000000000000000011",
            "self_mute": false, "self_deaf": true, "self_video": false
        }))
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.channel_id.map(Id::get), Some(1_000_000_000_000_000_011));
        assert!(a.self_deaf && !a.self_video);
        let leave: UpdateVoiceState =
            serde_json::from_value(json!({"guild_id": "5", "channel_id": null, "self_mute": true, "self_deaf": false}))
                .unwrap();
        assert_eq!(leave.channel_id, None);
        assert!(serde_json::from_value::<UpdateVoiceState>(json!({"guild_id": "0", "channel_id": null})).is_err());
        assert!(serde_json::from_value::<UpdateVoiceState>(json!({"channel_id": null})).is_err());
        assert_eq!(
            serde_json::to_value(leave).unwrap(),
            json!({"guild_id": "5", "channel_id": null, "self_mute": true, "self_deaf": false, "self_video": false, "self_stream": false})
        );
    }

    #[test]
    fn request_guild_members_defaults() {
        let r: RequestGuildMembers = serde_json::from_value(json!({"guild_id": 42, "query": "", "limit": 0})).unwrap();
        assert_eq!(r.guild_id.get(), 42);
        assert_eq!(
            (r.query.as_deref(), r.limit, r.presences, r.user_ids.is_none(), r.nonce.is_none()),
            (Some(""), 0, false, true, true)
        );
        let r: RequestGuildMembers = serde_json::from_value(json!({"guild_id": "42"})).unwrap();
        assert_eq!((r.query, r.limit), (None, 0));
        assert!(serde_json::from_value::<RequestGuildMembers>(json!({"guild_id": "42", "limit": -1})).is_err());
    }

    #[test]
    fn user_ids_one_or_many_kept_as_sent() {
        let r: RequestGuildMembers = serde_json::from_value(json!({
            "guild_id": "1", "user_ids": ["7", 8, "x", 0], "presences": true, "nonce": "n"
        }))
        .unwrap();
        let ids = r.user_ids.as_ref().unwrap();
        let parsed: Vec<_> = ids.parsed().map(|(v, id)| (v.clone(), id.map(Id::get))).collect();
        assert_eq!(parsed, vec![(json!("7"), Some(7)), (json!(8), Some(8)), (json!("x"), None), (json!(0), None)]);
        assert!(r.presences);
        assert_eq!(r.valid_nonce(), Some("n"));
        let one: RequestGuildMembers = serde_json::from_value(json!({"guild_id": "1", "user_ids": "9"})).unwrap();
        assert_eq!(one.user_ids.as_ref().map(UserIds::len), Some(1));
        let none: RequestGuildMembers = serde_json::from_value(json!({"guild_id": "1", "user_ids": null})).unwrap();
        assert!(none.user_ids.is_none());
        let long = RequestGuildMembers { nonce: Some("n".repeat(33)), ..one };
        assert_eq!(long.valid_nonce(), None);
        assert_eq!(serde_json::to_value(&long).unwrap()["user_ids"], json!(["9"]));
    }

    #[test]
    fn chunk_skips_absent_keys() {
        let chunk = GuildMembersChunk {
            guild_id: Id::new_checked(1).unwrap(),
            members: vec![],
            chunk_index: 0,
            chunk_count: 1,
            not_found: None,
            presences: None,
            nonce: None,
        };
        assert_eq!(
            serde_json::to_value(&chunk).unwrap(),
            json!({"guild_id": "1", "members": [], "chunk_index": 0, "chunk_count": 1})
        );
        let full = GuildMembersChunk {
            not_found: Some(vec![json!("5"), json!(6)]),
            presences: Some(vec![]),
            nonce: Some("abc".into()),
            ..chunk
        };
        let v = serde_json::to_value(&full).unwrap();
        assert_eq!(
            (v["not_found"].clone(), v["presences"].clone(), v["nonce"].clone()),
            (json!(["5", 6]), json!([]), json!("abc"))
        );
    }
}
