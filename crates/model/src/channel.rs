//! Channels of every type and permission overwrites (protocol.md §3.6 "Channel").

use serde::{Deserialize, Serialize};

use crate::flags::{ChannelFlags, Permissions};
use crate::id::Id;
use crate::id::marker::{ApplicationMarker, ChannelMarker, GenericMarker, GuildMarker, MessageMarker, UserMarker};
use crate::nullable::{self, Nullable};
use crate::timestamp::Timestamp;
use crate::user::User;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Channel type.
    pub enum ChannelType: u8 {
        GuildText = 0,
        Dm = 1,
        GuildVoice = 2,
        GroupDm = 3,
        GuildCategory = 4,
        GuildAnnouncement = 5,
        AnnouncementThread = 10,
        PublicThread = 11,
        PrivateThread = 12,
        GuildStageVoice = 13,
        GuildDirectory = 14,
        GuildForum = 15,
        GuildMedia = 16,
    }
}

impl ChannelType {
    /// Voice-capable: CONNECT gates everything else there.
    pub const fn is_voice(self) -> bool {
        matches!(self, Self::GuildVoice | Self::GuildStageVoice)
    }

    /// A thread (inherits its parent's overwrites).
    pub const fn is_thread(self) -> bool {
        matches!(self, Self::AnnouncementThread | Self::PublicThread | Self::PrivateThread)
    }

    /// Messages can be posted here (voice channels have a text chat too).
    pub const fn is_text_capable(self) -> bool {
        matches!(
            self,
            Self::GuildText
                | Self::Dm
                | Self::GroupDm
                | Self::GuildAnnouncement
                | Self::AnnouncementThread
                | Self::PublicThread
                | Self::PrivateThread
                | Self::GuildVoice
                | Self::GuildStageVoice
        )
    }

    /// Belongs to a guild (as opposed to DMs).
    pub const fn is_guild(self) -> bool {
        !matches!(self, Self::Dm | Self::GroupDm)
    }
}

wire_enum! {
    /// Whom an overwrite targets.
    pub enum OverwriteType: u8 {
        Role = 0,
        Member = 1,
    }
}

wire_enum! {
    /// Camera quality in voice channels.
    pub enum VideoQualityMode: u8 {
        Auto = 1,
        Full = 2,
    }
}

/// A permission overwrite: the id is a role id (`type` 0) or a user id (`type` 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionOverwrite {
    pub id: Id<GenericMarker>,
    #[serde(rename = "type")]
    pub kind: OverwriteType,
    #[serde(default)]
    pub allow: Permissions,
    #[serde(default)]
    pub deny: Permissions,
}

/// Thread metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMetadata {
    pub archived: bool,
    pub auto_archive_duration: u32,
    pub archive_timestamp: Timestamp,
    pub locked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_timestamp: Option<Timestamp>,
}

/// A channel. Which optional keys appear depends on the type, as on Discord.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: Id<ChannelMarker>,
    #[serde(rename = "type")]
    pub kind: ChannelType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_overwrites: Option<Vec<PermissionOverwrite>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub name: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub topic: Option<Nullable<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<Nullable<Id<MessageMarker>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_user: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<User>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub icon: Option<Nullable<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id<UserMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Id<ApplicationMarker>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Nullable<Id<ChannelMarker>>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub last_pin_timestamp: Option<Nullable<Timestamp>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub rtc_region: Option<Nullable<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_quality_mode: Option<VideoQualityMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_metadata: Option<ThreadMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_auto_archive_duration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<ChannelFlags>,
}

impl Channel {
    /// A bare channel of `kind`; callers fill the type-specific keys.
    pub fn new(id: Id<ChannelMarker>, kind: ChannelType) -> Self {
        Self {
            id,
            kind,
            guild_id: None,
            position: None,
            permission_overwrites: None,
            name: None,
            topic: None,
            nsfw: None,
            last_message_id: None,
            bitrate: None,
            user_limit: None,
            rate_limit_per_user: None,
            recipients: None,
            icon: None,
            owner_id: None,
            application_id: None,
            parent_id: None,
            last_pin_timestamp: None,
            rtc_region: None,
            video_quality_mode: None,
            message_count: None,
            member_count: None,
            thread_metadata: None,
            default_auto_archive_duration: None,
            permissions: None,
            flags: None,
        }
    }

    /// The overwrites, or none.
    pub fn overwrites(&self) -> &[PermissionOverwrite] {
        self.permission_overwrites.as_deref().unwrap_or(&[])
    }

    /// The parent (category or a thread's channel), if any.
    pub fn parent(&self) -> Option<Id<ChannelMarker>> {
        self.parent_id.and_then(Nullable::into_option)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn channel_type_serde_and_unknown() {
        assert_wire_enum!(ChannelType, u8, 99u8);
    }

    #[test]
    fn overwrite_type_serde() {
        assert_wire_enum!(OverwriteType, u8, 2u8);
        assert_wire_enum!(VideoQualityMode, u8, 3u8);
    }

    #[test]
    fn unknown_channel_type_survives_a_round_trip() {
        let json = r#"{"id":"5","type":77,"name":"future"}"#;
        let c: Channel = serde_json::from_str(json).unwrap();
        assert_eq!(c.kind, ChannelType::Unknown(77));
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
    }

    #[test]
    fn overwrite_shape() {
        let o = PermissionOverwrite {
            id: Id::new_checked(3).unwrap(),
            kind: OverwriteType::Member,
            allow: Permissions::VIEW_CHANNEL,
            deny: Permissions::SEND_MESSAGES,
        };
        assert_eq!(serde_json::to_string(&o).unwrap(), r#"{"id":"3","type":1,"allow":"1024","deny":"2048"}"#);
        let parsed: PermissionOverwrite = serde_json::from_str(r#"{"id":"3","type":1}"#).unwrap();
        assert!(parsed.allow.is_empty() && parsed.deny.is_empty());
    }

    #[test]
    fn type_predicates() {
        assert!(ChannelType::GuildVoice.is_voice() && ChannelType::GuildVoice.is_text_capable());
        assert!(!ChannelType::GuildCategory.is_text_capable());
        assert!(ChannelType::PrivateThread.is_thread());
        assert!(!ChannelType::Dm.is_guild());
    }
}
