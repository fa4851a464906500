//! Invites (protocol.md §3.6 "Invite").

use serde::{Deserialize, Serialize};

use crate::channel::ChannelType;
use crate::id::Id;
use crate::id::marker::{ChannelMarker, GuildMarker, RoleMarker};
use crate::timestamp::Timestamp;
use crate::user::User;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// What an invite leads to.
    pub enum InviteType: u8 {
        Guild = 0,
        GroupDm = 1,
        Friend = 2,
    }
}

wire_enum! {
    /// Voice-channel invite targets.
    pub enum InviteTargetType: u8 {
        Stream = 1,
        EmbeddedApplication = 2,
    }
}

/// The partial guild inside an invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteGuild {
    pub id: Id<GuildMarker>,
    pub name: String,
    pub icon: Option<String>,
    #[serde(default)]
    pub splash: Option<String>,
    #[serde(default)]
    pub banner: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub verification_level: u8,
    #[serde(default)]
    pub nsfw_level: u8,
    #[serde(default)]
    pub vanity_url_code: Option<String>,
}

/// The partial channel inside an invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteChannel {
    pub id: Id<ChannelMarker>,
    #[serde(rename = "type")]
    pub kind: ChannelType,
    pub name: Option<String>,
}

/// An invite; the metadata block appears in channel/guild invite listings and on create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    #[serde(rename = "type")]
    pub kind: InviteType,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild: Option<InviteGuild>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    pub channel: Option<InviteChannel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<InviteTargetType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Id<RoleMarker>>>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<InviteMetadata>,
}

/// Usage counters and limits of an invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteMetadata {
    pub uses: u32,
    pub max_uses: u32,
    pub max_age: u32,
    pub temporary: bool,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn invite_enums_serde() {
        assert_wire_enum!(InviteType, u8, 5u8);
        assert_wire_enum!(InviteTargetType, u8, 9u8);
    }

    #[test]
    fn metadata_is_flattened_and_optional() {
        let bare = r#"{"type":0,"code":"abc","channel":{"id":"2","type":0,"name":"general"},"expires_at":null}"#;
        let inv: Invite = serde_json::from_str(bare).unwrap();
        assert!(inv.metadata.is_none());
        assert_eq!(serde_json::to_string(&inv).unwrap(), bare);
        let with_meta = r#"{"type":0,"code":"abc","channel":null,"expires_at":null,"uses":1,"max_uses":0,"max_age":86400,"temporary":false,"created_at":"2025-01-01T00:00:00.000000+00:00"}"#;
        let inv: Invite = serde_json::from_str(with_meta).unwrap();
        assert_eq!(inv.metadata.as_ref().map(|m| m.max_age), Some(86400));
        assert_eq!(serde_json::to_string(&inv).unwrap(), with_meta);
    }
}
