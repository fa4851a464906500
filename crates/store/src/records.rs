//! What the store keeps. Wire objects are assembled from these by core: a stored message
//! names its author by id, the wire message embeds the author's user object.

use guildhall_model::Id;
use guildhall_model::Timestamp;
use guildhall_model::flags::{ApplicationFlags, MemberFlags, MessageFlags};
use guildhall_model::id::marker::{
    ApplicationMarker, ChannelMarker, EmojiMarker, GuildMarker, MessageMarker, RoleMarker, UserMarker, WebhookMarker,
};
use guildhall_model::message::{Attachment, Embed, MessageReference, MessageSnapshot, MessageType, Nonce};
use guildhall_model::user::User;
use guildhall_model::webhook::WebhookType;
use serde::{Deserialize, Serialize};

/// A user account: the public user object plus login data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// The user object as others see it (bot flag, names, avatar…).
    pub user: User,
    /// Login email for human accounts.
    pub email: Option<String>,
    /// argon2id PHC string for human accounts; bots have none.
    pub password_hash: Option<String>,
}

/// An application owning a bot user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRecord {
    pub id: Id<ApplicationMarker>,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    pub owner_id: Id<UserMarker>,
    pub bot_user_id: Option<Id<UserMarker>>,
    pub bot_public: bool,
    pub bot_require_code_grant: bool,
    pub verify_key: String,
    /// Includes the privileged-intent grants (`GATEWAY_*`).
    pub flags: ApplicationFlags,
}

/// A guild member as stored: ids, not embedded objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub guild_id: Id<GuildMarker>,
    pub user_id: Id<UserMarker>,
    pub nick: Option<String>,
    pub avatar: Option<String>,
    /// Role ids other than @everyone, in no particular order.
    pub roles: Vec<Id<RoleMarker>>,
    pub joined_at: Timestamp,
    pub premium_since: Option<Timestamp>,
    pub deaf: bool,
    pub mute: bool,
    pub flags: MemberFlags,
    pub pending: bool,
    pub communication_disabled_until: Option<Timestamp>,
}

impl MemberRecord {
    /// A fresh member with no roles.
    pub fn new(guild_id: Id<GuildMarker>, user_id: Id<UserMarker>, joined_at: Timestamp) -> Self {
        Self {
            guild_id,
            user_id,
            nick: None,
            avatar: None,
            roles: Vec::new(),
            joined_at,
            premium_since: None,
            deaf: false,
            mute: false,
            flags: MemberFlags::empty(),
            pending: false,
            communication_disabled_until: None,
        }
    }
}

/// A message as stored. The timestamp is derivable from the id but kept for clarity of reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: Id<MessageMarker>,
    pub channel_id: Id<ChannelMarker>,
    pub guild_id: Option<Id<GuildMarker>>,
    pub author_id: Id<UserMarker>,
    pub kind: MessageType,
    pub content: String,
    pub timestamp: Timestamp,
    pub edited_timestamp: Option<Timestamp>,
    pub tts: bool,
    pub mention_everyone: bool,
    pub mention_user_ids: Vec<Id<UserMarker>>,
    pub mention_role_ids: Vec<Id<RoleMarker>>,
    pub embeds: Vec<Embed>,
    pub attachments: Vec<Attachment>,
    pub nonce: Option<Nonce>,
    pub pinned: bool,
    pub flags: MessageFlags,
    pub message_reference: Option<MessageReference>,
    pub webhook_id: Option<Id<WebhookMarker>>,
    pub application_id: Option<Id<ApplicationMarker>>,
    /// Display name/avatar override of webhook messages.
    pub webhook_author: Option<User>,
    /// Components as the author sent them (JSON objects, validated only lightly). Records
    /// written before components were kept have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<serde_json::Value>,
    /// A forward's copy of the forwarded message, frozen when it was sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_snapshots: Vec<MessageSnapshot>,
}

impl MessageRecord {
    /// A plain default-type message with no embeds, mentions or reference; its timestamp is
    /// the one encoded in its id.
    pub fn new(
        id: Id<MessageMarker>,
        channel_id: Id<ChannelMarker>,
        guild_id: Option<Id<GuildMarker>>,
        author_id: Id<UserMarker>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            id,
            channel_id,
            guild_id,
            author_id,
            kind: MessageType::Default,
            content: content.into(),
            timestamp: Timestamp::from_millis(i64::try_from(id.timestamp_ms()).unwrap_or(i64::MAX)),
            edited_timestamp: None,
            tts: false,
            mention_everyone: false,
            mention_user_ids: Vec::new(),
            mention_role_ids: Vec::new(),
            embeds: Vec::new(),
            attachments: Vec::new(),
            nonce: None,
            pinned: false,
            flags: MessageFlags::empty(),
            message_reference: None,
            webhook_id: None,
            application_id: None,
            webhook_author: None,
            components: Vec::new(),
            message_snapshots: Vec::new(),
        }
    }
}

/// Which slice of a channel's history to read. Results are always newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageAnchor {
    /// The newest messages.
    Latest,
    /// Messages older than the id.
    Before(Id<MessageMarker>),
    /// The messages right after the id (the closest ones).
    After(Id<MessageMarker>),
    /// Messages on both sides of the id, including it.
    Around(Id<MessageMarker>),
}

/// The emoji of a reaction, keyed by custom id or by the unicode text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReactionEmoji {
    pub id: Option<Id<EmojiMarker>>,
    pub name: String,
    pub animated: bool,
}

impl ReactionEmoji {
    /// A unicode emoji.
    pub fn unicode(name: impl Into<String>) -> Self {
        Self { id: None, name: name.into(), animated: false }
    }

    /// A custom emoji.
    pub fn custom(id: Id<EmojiMarker>, name: impl Into<String>, animated: bool) -> Self {
        Self { id: Some(id), name: name.into(), animated }
    }

    /// The identity of the emoji: custom emojis by id (names can change), unicode by text.
    pub fn key(&self) -> String {
        match self.id {
            Some(id) => id.to_string(),
            None => self.name.clone(),
        }
    }
}

/// One emoji's reactions on one message, from one viewer's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactionSummary {
    pub message_id: Id<MessageMarker>,
    pub emoji: ReactionEmoji,
    pub normal: u32,
    pub burst: u32,
    pub me: bool,
    pub me_burst: bool,
}

/// An invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRecord {
    pub code: String,
    pub guild_id: Id<GuildMarker>,
    pub channel_id: Id<ChannelMarker>,
    pub inviter_id: Option<Id<UserMarker>>,
    /// Seconds; 0 = never expires.
    pub max_age: u32,
    /// 0 = unlimited.
    pub max_uses: u32,
    pub temporary: bool,
    pub uses: u32,
    pub created_at: Timestamp,
}

/// A webhook. Incoming webhooks carry their secret `token` (shown to managers, as Discord does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub id: Id<WebhookMarker>,
    pub kind: WebhookType,
    pub guild_id: Option<Id<GuildMarker>>,
    pub channel_id: Id<ChannelMarker>,
    pub creator_id: Option<Id<UserMarker>>,
    pub name: String,
    pub avatar: Option<String>,
    pub token: Option<String>,
    pub application_id: Option<Id<ApplicationMarker>>,
}

/// A ban.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanRecord {
    pub guild_id: Id<GuildMarker>,
    pub user_id: Id<UserMarker>,
    pub reason: Option<String>,
}

/// A pin: when a message was pinned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinRecord {
    pub message_id: Id<MessageMarker>,
    pub pinned_at: Timestamp,
}

/// Message ids are stored under `(channel_id, bucket, message_id)`; a bucket spans ten days of
/// snowflake time, as in Discord's Cassandra schema, so one partition never grows without bound.
pub const BUCKET_MS: u64 = 10 * 24 * 60 * 60 * 1000;

/// The bucket of a message id.
pub const fn message_bucket(id: Id<MessageMarker>) -> u64 {
    (id.get() >> 22) / BUCKET_MS
}
