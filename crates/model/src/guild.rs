//! Guilds, roles, members, bans and emojis (protocol.md §3.6, client-libraries.md §6).

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::flags::{MemberFlags, Permissions, RoleFlags, SystemChannelFlags};
use crate::id::Id;
use crate::id::marker::{ApplicationMarker, ChannelMarker, EmojiMarker, GuildMarker, RoleMarker, UserMarker};
use crate::nullable::{self, Nullable};
use crate::timestamp::Timestamp;
use crate::user::User;
use crate::voice::VoiceState;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Required verification for members to talk.
    pub enum VerificationLevel: u8 {
        None = 0,
        Low = 1,
        Medium = 2,
        High = 3,
        VeryHigh = 4,
    }
}

wire_enum! {
    /// Default notification level.
    pub enum DefaultMessageNotificationLevel: u8 {
        AllMessages = 0,
        OnlyMentions = 1,
    }
}

wire_enum! {
    /// Explicit content filter level.
    pub enum ExplicitContentFilter: u8 {
        Disabled = 0,
        MembersWithoutRoles = 1,
        AllMembers = 2,
    }
}

wire_enum! {
    /// Whether moderation needs 2FA.
    pub enum MfaLevel: u8 {
        None = 0,
        Elevated = 1,
    }
}

wire_enum! {
    /// Guild NSFW level.
    pub enum NsfwLevel: u8 {
        Default = 0,
        Explicit = 1,
        Safe = 2,
        AgeRestricted = 3,
    }
}

wire_enum! {
    /// Boost tier.
    pub enum PremiumTier: u8 {
        None = 0,
        Tier1 = 1,
        Tier2 = 2,
        Tier3 = 3,
    }
}

/// A guild. Strict libraries (twilight, serenity) require every non-optional field here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guild {
    pub id: Id<GuildMarker>,
    pub name: String,
    pub icon: Option<String>,
    #[serde(default)]
    pub splash: Option<String>,
    #[serde(default)]
    pub discovery_splash: Option<String>,
    /// Only in `GET /users/@me/guilds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    pub owner_id: Id<UserMarker>,
    /// Only in `GET /users/@me/guilds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    #[serde(default)]
    pub afk_channel_id: Option<Id<ChannelMarker>>,
    pub afk_timeout: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub widget_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    pub verification_level: VerificationLevel,
    pub default_message_notifications: DefaultMessageNotificationLevel,
    pub explicit_content_filter: ExplicitContentFilter,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub emojis: Vec<Emoji>,
    #[serde(default)]
    pub features: Vec<String>,
    pub mfa_level: MfaLevel,
    #[serde(default)]
    pub application_id: Option<Id<ApplicationMarker>>,
    #[serde(default)]
    pub system_channel_id: Option<Id<ChannelMarker>>,
    pub system_channel_flags: SystemChannelFlags,
    #[serde(default)]
    pub rules_channel_id: Option<Id<ChannelMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_presences: Option<Nullable<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_members: Option<u64>,
    #[serde(default)]
    pub vanity_url_code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub banner: Option<String>,
    #[serde(default = "PremiumTier::none")]
    pub premium_tier: PremiumTier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_subscription_count: Option<u64>,
    pub preferred_locale: String,
    #[serde(default)]
    pub public_updates_channel_id: Option<Id<ChannelMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_video_channel_users: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stage_video_channel_users: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
    pub nsfw_level: NsfwLevel,
    #[serde(default)]
    pub stickers: Vec<serde_json::Value>,
    pub premium_progress_bar_enabled: bool,
    #[serde(default)]
    pub safety_alerts_channel_id: Option<Id<ChannelMarker>>,
}

impl PremiumTier {
    const fn none() -> Self {
        Self::None
    }
}

impl Guild {
    /// A new guild with Discord's defaults for everything but its id, name and owner.
    pub fn new(id: Id<GuildMarker>, name: impl Into<String>, owner_id: Id<UserMarker>) -> Self {
        Self {
            id,
            name: name.into(),
            icon: None,
            splash: None,
            discovery_splash: None,
            owner: None,
            owner_id,
            permissions: None,
            afk_channel_id: None,
            afk_timeout: 300,
            widget_enabled: None,
            widget_channel_id: None,
            verification_level: VerificationLevel::None,
            default_message_notifications: DefaultMessageNotificationLevel::AllMessages,
            explicit_content_filter: ExplicitContentFilter::Disabled,
            roles: Vec::new(),
            emojis: Vec::new(),
            features: Vec::new(),
            mfa_level: MfaLevel::None,
            application_id: None,
            system_channel_id: None,
            system_channel_flags: SystemChannelFlags::empty(),
            rules_channel_id: None,
            max_presences: None,
            max_members: None,
            vanity_url_code: None,
            description: None,
            banner: None,
            premium_tier: PremiumTier::None,
            premium_subscription_count: None,
            preferred_locale: "en-US".to_owned(),
            public_updates_channel_id: None,
            max_video_channel_users: None,
            max_stage_video_channel_users: None,
            approximate_member_count: None,
            approximate_presence_count: None,
            nsfw_level: NsfwLevel::Default,
            stickers: Vec::new(),
            premium_progress_bar_enabled: false,
            safety_alerts_channel_id: None,
        }
    }
}

/// The `{id, unavailable: true}` stub in READY and GUILD_DELETE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnavailableGuild {
    pub id: Id<GuildMarker>,
    /// Absent in GUILD_DELETE when the bot was removed rather than the guild going down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<bool>,
}

/// GUILD_CREATE: the guild plus the gateway-only extras (protocol.md §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildCreate {
    #[serde(flatten)]
    pub guild: Guild,
    pub joined_at: Timestamp,
    pub large: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<bool>,
    pub member_count: u64,
    pub voice_states: Vec<VoiceState>,
    pub members: Vec<Member>,
    pub channels: Vec<Channel>,
    pub threads: Vec<Channel>,
    pub presences: Vec<crate::presence::Presence>,
    pub stage_instances: Vec<serde_json::Value>,
    pub guild_scheduled_events: Vec<serde_json::Value>,
    #[serde(default)]
    pub soundboard_sounds: Vec<serde_json::Value>,
}

/// A role's colours (Discord sends both this and the deprecated `color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleColors {
    pub primary_color: u32,
    #[serde(default)]
    pub secondary_color: Option<u32>,
    #[serde(default)]
    pub tertiary_color: Option<u32>,
}

/// Extra facts about managed roles. `premium_subscriber: null` means "true" on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleTags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<Id<UserMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<Id<crate::id::marker::GenericMarker>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub premium_subscriber: Option<Nullable<bool>>,
}

/// A role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: Id<RoleMarker>,
    pub name: String,
    /// Deprecated integer colour; still sent, equal to `colors.primary_color`.
    pub color: u32,
    pub colors: RoleColors,
    pub hoist: bool,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub icon: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub unicode_emoji: Option<Nullable<String>>,
    /// Greater is higher; @everyone is 0; ties are broken by id.
    pub position: i32,
    pub permissions: Permissions,
    pub managed: bool,
    pub mentionable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<RoleTags>,
    #[serde(default)]
    pub flags: RoleFlags,
}

impl Role {
    /// The @everyone role of `guild` (its id is the guild's id).
    pub fn everyone(guild: Id<GuildMarker>, permissions: Permissions) -> Self {
        Self {
            id: guild.cast(),
            name: "@everyone".to_owned(),
            color: 0,
            colors: RoleColors::default(),
            hoist: false,
            icon: None,
            unicode_emoji: None,
            position: 0,
            permissions,
            managed: false,
            mentionable: false,
            tags: None,
            flags: RoleFlags::empty(),
        }
    }
}

/// A guild member. `user` is omitted inside MESSAGE_CREATE's `member`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub nick: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub banner: Option<Nullable<String>>,
    pub roles: Vec<Id<RoleMarker>>,
    /// Null for guests.
    pub joined_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub premium_since: Option<Nullable<Timestamp>>,
    pub deaf: bool,
    pub mute: bool,
    pub flags: MemberFlags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub communication_disabled_until: Option<Nullable<Timestamp>>,
}

/// A ban: `reason` is always present (null when none was given).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    pub reason: Option<String>,
    pub user: User,
}

/// A custom emoji, or a unicode one (`id: null`) where an emoji object is expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emoji {
    pub id: Option<Id<EmojiMarker>>,
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Id<RoleMarker>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_colons: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn level_enums_serde() {
        assert_wire_enum!(VerificationLevel, u8, 9u8);
        assert_wire_enum!(DefaultMessageNotificationLevel, u8, 7u8);
        assert_wire_enum!(ExplicitContentFilter, u8, 5u8);
        assert_wire_enum!(MfaLevel, u8, 3u8);
        assert_wire_enum!(NsfwLevel, u8, 8u8);
        assert_wire_enum!(PremiumTier, u8, 4u8);
    }

    #[test]
    fn everyone_role_shares_guild_id_and_has_both_colour_keys() {
        let guild: Id<GuildMarker> = Id::new_checked(99).unwrap();
        let role = Role::everyone(guild, Permissions::DEFAULT_EVERYONE);
        let v = serde_json::to_value(&role).unwrap();
        assert_eq!(v["id"], "99");
        assert_eq!(v["color"], 0);
        assert_eq!(v["colors"]["primary_color"], 0);
        assert_eq!(v["colors"]["secondary_color"], serde_json::Value::Null);
        assert_eq!(v["permissions"], "2248473465835073");
    }

    #[test]
    fn new_guild_has_every_field_strict_libraries_require() {
        let g = Guild::new(Id::new_checked(1).unwrap(), "G", Id::new_checked(2).unwrap());
        let v = serde_json::to_value(&g).unwrap();
        for key in [
            "afk_timeout",
            "default_message_notifications",
            "explicit_content_filter",
            "features",
            "id",
            "mfa_level",
            "name",
            "owner_id",
            "preferred_locale",
            "roles",
            "system_channel_flags",
            "premium_progress_bar_enabled",
            "verification_level",
            "nsfw_level",
            "emojis",
            "stickers",
            "premium_tier",
            "icon",
            "afk_channel_id",
            "system_channel_id",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn role_tags_premium_subscriber_null_means_true() {
        let tags: RoleTags = serde_json::from_str(r#"{"premium_subscriber":null}"#).unwrap();
        assert_eq!(tags.premium_subscriber, Some(Nullable::Null));
        assert_eq!(serde_json::to_string(&tags).unwrap(), r#"{"premium_subscriber":null}"#);
        let none: RoleTags = serde_json::from_str("{}").unwrap();
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
    }
}
