//! Messages, embeds, attachments and reactions (protocol.md §2.2, §3.5, §3.6).

use serde::{Deserialize, Serialize};

use crate::channel::ChannelType;
use crate::flags::MessageFlags;
use crate::guild::Member;
use crate::id::Id;
use crate::id::marker::{
    ApplicationMarker, AttachmentMarker, ChannelMarker, EmojiMarker, GuildMarker, MessageMarker, RoleMarker,
    UserMarker, WebhookMarker,
};
use crate::nullable::{self, Nullable};
use crate::timestamp::Timestamp;
use crate::user::User;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Message type.
    pub enum MessageType: u8 {
        Default = 0,
        RecipientAdd = 1,
        RecipientRemove = 2,
        Call = 3,
        ChannelNameChange = 4,
        ChannelIconChange = 5,
        ChannelPinnedMessage = 6,
        UserJoin = 7,
        GuildBoost = 8,
        GuildBoostTier1 = 9,
        GuildBoostTier2 = 10,
        GuildBoostTier3 = 11,
        ChannelFollowAdd = 12,
        GuildDiscoveryDisqualified = 14,
        GuildDiscoveryRequalified = 15,
        GuildDiscoveryGracePeriodInitialWarning = 16,
        GuildDiscoveryGracePeriodFinalWarning = 17,
        ThreadCreated = 18,
        Reply = 19,
        ChatInputCommand = 20,
        ThreadStarterMessage = 21,
        GuildInviteReminder = 22,
        ContextMenuCommand = 23,
        AutoModerationAction = 24,
        RoleSubscriptionPurchase = 25,
        InteractionPremiumUpsell = 26,
        StageStart = 27,
        StageEnd = 28,
        StageSpeaker = 29,
        StageTopic = 31,
        GuildApplicationPremiumSubscription = 32,
        GuildIncidentAlertModeEnabled = 36,
        GuildIncidentAlertModeDisabled = 37,
        GuildIncidentReportRaid = 38,
        GuildIncidentReportFalseAlarm = 39,
        PurchaseNotification = 44,
        PollResult = 46,
    }
}

impl MessageType {
    /// System messages that can never be deleted (protocol.md §3.6).
    pub const fn is_undeletable(self) -> bool {
        matches!(
            self,
            Self::RecipientAdd
                | Self::RecipientRemove
                | Self::Call
                | Self::ChannelNameChange
                | Self::ChannelIconChange
                | Self::ThreadStarterMessage
        )
    }
}

wire_enum! {
    /// Reply or forward.
    pub enum MessageReferenceType: u8 {
        Default = 0,
        Forward = 1,
    }
}

wire_enum! {
    /// Normal or super ("burst") reaction.
    pub enum ReactionType: u8 {
        Normal = 0,
        Burst = 1,
    }
}

/// A message nonce: clients send an integer or a string (≤ 25 chars) and get it echoed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Nonce {
    /// An integer nonce (discord.py sends these).
    Integer(i64),
    /// A string nonce (discord.js sends snowflake-like strings).
    String(String),
}

/// A reply / forward reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReference {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageReferenceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Id<MessageMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Id<ChannelMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_if_not_exists: Option<bool>,
}

/// Which mentions in content may ping (protocol.md §3.5).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AllowedMentions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Id<RoleMarker>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<Id<UserMarker>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_user: Option<bool>,
}

/// An embed footer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedFooter {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_icon_url: Option<String>,
}

/// An embed image, thumbnail or video.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedMedia {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
}

/// An embed provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedProvider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// An embed author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedAuthor {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_icon_url: Option<String>,
}

/// An embed field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<bool>,
}

/// A rich embed.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Embed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<EmbedFooter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<EmbedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<EmbedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<EmbedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<EmbedProvider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<EmbedAuthor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<EmbedField>>,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Id<AttachmentMarker>,
    pub filename: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub size: u64,
    pub url: String,
    pub proxy_url: String,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub height: Option<Nullable<u32>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub width: Option<Nullable<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
}

/// The emoji of a reaction: custom (`id` + `name`) or unicode (`id: null`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartialEmoji {
    pub id: Option<Id<EmojiMarker>>,
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

/// Per-kind reaction counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReactionCountDetails {
    pub burst: u32,
    pub normal: u32,
}

/// One emoji's reactions on a message, as seen by the requesting user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub count: u32,
    pub count_details: ReactionCountDetails,
    pub me: bool,
    pub me_burst: bool,
    pub emoji: PartialEmoji,
    pub burst_colors: Vec<String>,
}

/// A mentioned user, with the partial member in guild messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    #[serde(flatten)]
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
}

/// A channel mention (crossposts only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMention {
    pub id: Id<ChannelMarker>,
    pub guild_id: Id<GuildMarker>,
    #[serde(rename = "type")]
    pub kind: ChannelType,
    pub name: String,
}

/// The copy of a forwarded message that a forward carries (`message_snapshots[]`): taken when
/// the forward is sent and never updated afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSnapshot {
    pub message: SnapshotMessage,
}

/// The subset of a message kept in a snapshot (Discord's "snapshot message"): no author, no
/// ids, no reactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMessage {
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub content: String,
    pub embeds: Vec<Embed>,
    pub attachments: Vec<Attachment>,
    pub timestamp: Timestamp,
    pub edited_timestamp: Option<Timestamp>,
    pub flags: MessageFlags,
    /// The mentioned users, without members.
    pub mentions: Vec<User>,
    pub mention_roles: Vec<Id<RoleMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<serde_json::Value>>,
}

/// A message, as REST returns it and as MESSAGE_CREATE / MESSAGE_UPDATE carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Id<MessageMarker>,
    pub channel_id: Id<ChannelMarker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    pub author: User,
    /// Partial member (no `user`) in guild messages; absent for webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
    pub content: String,
    pub timestamp: Timestamp,
    pub edited_timestamp: Option<Timestamp>,
    pub tts: bool,
    pub mention_everyone: bool,
    pub mentions: Vec<Mention>,
    pub mention_roles: Vec<Id<RoleMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_channels: Option<Vec<ChannelMention>>,
    pub attachments: Vec<Attachment>,
    pub embeds: Vec<Embed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<Reaction>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    pub pinned: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<Id<WebhookMarker>>,
    #[serde(rename = "type")]
    pub kind: MessageType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Id<ApplicationMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// Forwards: the forwarded message as it was (one snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_snapshots: Option<Vec<MessageSnapshot>>,
    /// Present on replies: the referenced message, or null when it was deleted.
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub referenced_message: Option<Nullable<Box<Message>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<ChannelType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn message_enums_serde() {
        assert_wire_enum!(MessageType, u8, 250u8);
        assert_wire_enum!(MessageReferenceType, u8, 7u8);
        assert_wire_enum!(ReactionType, u8, 3u8);
    }

    #[test]
    fn nonce_integer_or_string() {
        assert_eq!(serde_json::from_str::<Nonce>("123").unwrap(), Nonce::Integer(123));
        assert_eq!(serde_json::from_str::<Nonce>(r#""123""#).unwrap(), Nonce::String("123".into()));
        assert_eq!(serde_json::to_string(&Nonce::Integer(5)).unwrap(), "5");
        assert!(serde_json::from_str::<Nonce>("[]").is_err());
    }

    #[test]
    fn message_flags_field_and_reference() {
        let json = r#"{"type":0,"message_id":"9","fail_if_not_exists":false}"#;
        let r: MessageReference = serde_json::from_str(json).unwrap();
        assert_eq!(r.kind, Some(MessageReferenceType::Default));
        assert_eq!(serde_json::to_string(&r).unwrap(), json);
    }

    #[test]
    fn snapshot_shape() {
        let json = r#"{"message":{"type":0,"content":"guh","embeds":[],"attachments":[],"timestamp":"2023-02-17T19:52:19.184000+00:00","edited_timestamp":null,"flags":0,"mentions":[],"mention_roles":[]}}"#;
        let s: MessageSnapshot = serde_json::from_str(json).unwrap();
        assert_eq!(s.message.content, "guh");
        assert_eq!(s.message.components, None);
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
        let with = r#"{"message":{"type":19,"content":"","embeds":[],"attachments":[],"timestamp":"2023-02-17T19:52:19.184000+00:00","edited_timestamp":null,"flags":4,"mentions":[],"mention_roles":["5"],"components":[{"type":1}]}}"#;
        let s: MessageSnapshot = serde_json::from_str(with).unwrap();
        assert_eq!((s.message.kind, s.message.flags), (MessageType::Reply, MessageFlags::SUPPRESS_EMBEDS));
        assert_eq!(serde_json::to_string(&s).unwrap(), with);
    }

    #[test]
    fn undeletable_types() {
        assert!(MessageType::ThreadStarterMessage.is_undeletable());
        assert!(!MessageType::Reply.is_undeletable());
    }
}
