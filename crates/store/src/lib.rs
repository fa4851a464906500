//! Storage traits for guildhall: one trait per aggregate, typed ids only.
//!
//! Backends (SQLite now, PostgreSQL later) implement every trait and must pass the shared
//! `conformance` suite (feature `testing`). Methods are ordered create, read, update, delete.
//! Writes that return `Ok` are durable against a process crash: a backend may not acknowledge a
//! write it could still lose to `kill -9`.
//!
//! The store does not check permissions or validate input: that is core's job, and every write
//! goes through a core operation that does both first.

use async_trait::async_trait;
use guildhall_model::Timestamp;
use guildhall_model::channel::Channel;
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::Id;
use guildhall_model::id::marker::{
    ApplicationMarker, AttachmentMarker, ChannelMarker, GuildMarker, MessageMarker, RoleMarker, UserMarker,
    WebhookMarker,
};
use guildhall_model::message::ReactionType;

mod error;
mod records;

#[cfg(feature = "testing")]
pub mod conformance;

pub use error::{StoreError, StoreResult};
pub use records::*;

/// Users, their credentials and their token digests.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user. `Conflict` if the id or the email is taken.
    async fn create_user(&self, record: &UserRecord) -> StoreResult<()>;
    /// One user.
    async fn user(&self, id: Id<UserMarker>) -> StoreResult<Option<UserRecord>>;
    /// Several users at once, in no particular order; unknown ids are skipped.
    async fn users(&self, ids: &[Id<UserMarker>]) -> StoreResult<Vec<UserRecord>>;
    /// The user with this login email (case-insensitive).
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    /// Users whose username equals `username` (case-insensitive), oldest first.
    async fn users_by_username(&self, username: &str) -> StoreResult<Vec<UserRecord>>;
    /// Replaces the user's stored fields. `NotFound` if absent.
    async fn update_user(&self, record: &UserRecord) -> StoreResult<()>;
    /// Sets the digest of the user's current token (replacing any previous one).
    async fn set_token_hash(&self, id: Id<UserMarker>, hash: [u8; 32]) -> StoreResult<()>;
    /// The digest of the user's current token.
    async fn token_hash(&self, id: Id<UserMarker>) -> StoreResult<Option<[u8; 32]>>;
}

/// Applications (a bot's owning app).
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Inserts an application. `Conflict` if the id exists or the bot user already has one.
    async fn create_application(&self, record: &ApplicationRecord) -> StoreResult<()>;
    /// One application.
    async fn application(&self, id: Id<ApplicationMarker>) -> StoreResult<Option<ApplicationRecord>>;
    /// The application whose bot is `user`.
    async fn application_for_bot(&self, user: Id<UserMarker>) -> StoreResult<Option<ApplicationRecord>>;
    /// Replaces an application. `NotFound` if absent.
    async fn update_application(&self, record: &ApplicationRecord) -> StoreResult<()>;
}

/// Guilds. The guild row holds the guild's own settings; `roles` and `emojis` of [`Guild`] are
/// their own aggregates and are ignored on write and returned empty on read.
#[async_trait]
pub trait GuildStore: Send + Sync {
    /// Inserts a guild. `Conflict` if the id exists.
    async fn create_guild(&self, guild: &Guild) -> StoreResult<()>;
    /// One guild.
    async fn guild(&self, id: Id<GuildMarker>) -> StoreResult<Option<Guild>>;
    /// Ids of the guilds `user` is a member of, ascending.
    async fn guild_ids_for_user(&self, user: Id<UserMarker>) -> StoreResult<Vec<Id<GuildMarker>>>;
    /// Replaces the guild's settings. `NotFound` if absent.
    async fn update_guild(&self, guild: &Guild) -> StoreResult<()>;
    /// Deletes the guild and everything in it (channels, messages, roles, members, invites, bans).
    async fn delete_guild(&self, id: Id<GuildMarker>) -> StoreResult<bool>;
}

/// Channels of every kind, including DMs.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Inserts a channel. For DMs, `recipients` are recorded for [`ChannelStore::dm_channel`].
    async fn create_channel(&self, channel: &Channel) -> StoreResult<()>;
    /// One channel (its `last_message_id` reflects the newest live message).
    async fn channel(&self, id: Id<ChannelMarker>) -> StoreResult<Option<Channel>>;
    /// The guild's channels ordered by position, then id.
    async fn guild_channels(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<Channel>>;
    /// The existing DM channel between two users.
    async fn dm_channel(&self, a: Id<UserMarker>, b: Id<UserMarker>) -> StoreResult<Option<Channel>>;
    /// Replaces a channel. `NotFound` if absent.
    async fn update_channel(&self, channel: &Channel) -> StoreResult<()>;
    /// Deletes a channel with its messages, pins, reactions and invites.
    async fn delete_channel(&self, id: Id<ChannelMarker>) -> StoreResult<bool>;
}

/// Roles.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Inserts a role into a guild. `NotFound` if the guild is absent, `Conflict` if the id exists.
    async fn create_role(&self, guild: Id<GuildMarker>, role: &Role) -> StoreResult<()>;
    /// One role of a guild.
    async fn role(&self, guild: Id<GuildMarker>, id: Id<RoleMarker>) -> StoreResult<Option<Role>>;
    /// All roles of a guild, lowest first (position, then id).
    async fn guild_roles(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<Role>>;
    /// Replaces a role. `NotFound` if absent.
    async fn update_role(&self, guild: Id<GuildMarker>, role: &Role) -> StoreResult<()>;
    /// Sets several roles' positions atomically.
    async fn set_role_positions(&self, guild: Id<GuildMarker>, positions: &[(Id<RoleMarker>, i32)]) -> StoreResult<()>;
    /// Deletes a role and takes it away from every member.
    async fn delete_role(&self, guild: Id<GuildMarker>, id: Id<RoleMarker>) -> StoreResult<bool>;
}

/// Guild members.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Adds a member. `NotFound` if the guild or the user is absent, `Conflict` if already a member.
    async fn add_member(&self, member: &MemberRecord) -> StoreResult<()>;
    /// One member.
    async fn member(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<Option<MemberRecord>>;
    /// Members by ascending user id, starting after `after`, at most `limit`.
    async fn members(
        &self,
        guild: Id<GuildMarker>,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<MemberRecord>>;
    /// Members whose username or nickname starts with `prefix` (case-insensitive), at most `limit`.
    async fn search_members(&self, guild: Id<GuildMarker>, prefix: &str, limit: u32) -> StoreResult<Vec<MemberRecord>>;
    /// Number of members.
    async fn member_count(&self, guild: Id<GuildMarker>) -> StoreResult<u64>;
    /// Replaces a member's fields (nick, roles, mute…). `NotFound` if absent.
    async fn update_member(&self, member: &MemberRecord) -> StoreResult<()>;
    /// Removes a member.
    async fn remove_member(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<bool>;
}

/// Messages, keyed `(channel_id, bucket, message_id)`; deletes leave tombstones.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Inserts a message and advances the channel's `last_message_id`. `Conflict` if the id exists.
    async fn create_message(&self, message: &MessageRecord) -> StoreResult<()>;
    /// Inserts many messages in one transaction (bulk import, seeding) and advances each
    /// channel's `last_message_id` to its newest. All or nothing: `Conflict` if any id exists,
    /// `NotFound` if a channel does not.
    async fn create_messages(&self, messages: &[MessageRecord]) -> StoreResult<()>;
    /// One live message.
    async fn message(&self, channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> StoreResult<Option<MessageRecord>>;
    /// A page of live messages, newest first. `limit` is clamped to 1..=100.
    async fn messages(
        &self,
        channel: Id<ChannelMarker>,
        anchor: MessageAnchor,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// Live messages by `author` in `guild` with ids at or after `since` (for ban message purges).
    async fn messages_by_author(
        &self,
        guild: Id<GuildMarker>,
        author: Id<UserMarker>,
        since: Id<MessageMarker>,
    ) -> StoreResult<Vec<(Id<ChannelMarker>, Id<MessageMarker>)>>;
    /// Replaces a live message's content fields. `NotFound` if absent or deleted.
    async fn update_message(&self, message: &MessageRecord) -> StoreResult<()>;
    /// Tombstones a message (and drops its reactions and pin). `false` if there was no live message.
    async fn delete_message(&self, channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> StoreResult<bool>;
    /// Tombstones several messages atomically; returns the ids that were live.
    async fn delete_messages(
        &self,
        channel: Id<ChannelMarker>,
        ids: &[Id<MessageMarker>],
    ) -> StoreResult<Vec<Id<MessageMarker>>>;
}

/// Reactions.
#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Adds `user`'s reaction; `false` if it was already there.
    async fn add_reaction(
        &self,
        channel: Id<ChannelMarker>,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        user: Id<UserMarker>,
        kind: ReactionType,
    ) -> StoreResult<bool>;
    /// Summaries for several messages, as `viewer` sees them, each message's emojis in the
    /// order they were first used.
    async fn reactions(
        &self,
        messages: &[Id<MessageMarker>],
        viewer: Option<Id<UserMarker>>,
    ) -> StoreResult<Vec<ReactionSummary>>;
    /// Users who reacted with `emoji`, by ascending id after `after`, at most `limit`.
    async fn reaction_users(
        &self,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        kind: ReactionType,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<Id<UserMarker>>>;
    /// Distinct emojis on a message.
    async fn reaction_emoji_count(&self, message: Id<MessageMarker>) -> StoreResult<u32>;
    /// Removes one user's reaction; `false` if it was not there.
    async fn remove_reaction(
        &self,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        user: Id<UserMarker>,
        kind: ReactionType,
    ) -> StoreResult<bool>;
    /// Removes every reaction with `emoji`; returns how many were removed.
    async fn remove_emoji_reactions(&self, message: Id<MessageMarker>, emoji: &ReactionEmoji) -> StoreResult<u64>;
    /// Removes every reaction on a message; returns how many were removed.
    async fn remove_all_reactions(&self, message: Id<MessageMarker>) -> StoreResult<u64>;
}

/// Pins.
#[async_trait]
pub trait PinStore: Send + Sync {
    /// Pins a live message; `false` if it was already pinned. `NotFound` if the message is not live.
    async fn pin(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>, at: Timestamp) -> StoreResult<bool>;
    /// Pins newest first, pinned strictly before `before` if given, at most `limit`.
    async fn pins(
        &self,
        channel: Id<ChannelMarker>,
        before: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<PinRecord>>;
    /// Number of pins in the channel.
    async fn pin_count(&self, channel: Id<ChannelMarker>) -> StoreResult<u32>;
    /// Unpins; `false` if it was not pinned.
    async fn unpin(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>) -> StoreResult<bool>;
}

/// Invites.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Inserts an invite. `Conflict` if the code exists.
    async fn create_invite(&self, invite: &InviteRecord) -> StoreResult<()>;
    /// One invite by code.
    async fn invite(&self, code: &str) -> StoreResult<Option<InviteRecord>>;
    /// A channel's invites, oldest first.
    async fn channel_invites(&self, channel: Id<ChannelMarker>) -> StoreResult<Vec<InviteRecord>>;
    /// A guild's invites, oldest first.
    async fn guild_invites(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<InviteRecord>>;
    /// Counts one use, unless the invite is used up; returns the updated invite, or `None` if it
    /// does not exist or has no uses left. Atomic: two racing accepts cannot exceed `max_uses`.
    async fn use_invite(&self, code: &str) -> StoreResult<Option<InviteRecord>>;
    /// Deletes an invite, returning it.
    async fn delete_invite(&self, code: &str) -> StoreResult<Option<InviteRecord>>;
}

/// Bans.
#[async_trait]
pub trait BanStore: Send + Sync {
    /// Bans a user (replacing the reason of an existing ban).
    async fn create_ban(&self, ban: &BanRecord) -> StoreResult<()>;
    /// One ban.
    async fn ban(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<Option<BanRecord>>;
    /// Bans by ascending user id; `before` wins over `after` as on Discord (then the page holds
    /// the bans closest below `before`, still ascending).
    async fn bans(
        &self,
        guild: Id<GuildMarker>,
        before: Option<Id<UserMarker>>,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<BanRecord>>;
    /// Lifts a ban; `false` if there was none.
    async fn delete_ban(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<bool>;
}

/// A stored file: its bytes and the content type it is served with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// `Content-Type` for downloads (`None`: served as `application/octet-stream`).
    pub content_type: Option<String>,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Attachment files, keyed by attachment id. Kept apart from [`Store`] because files do not
/// belong in a database: a backend may put them on disk or in an object store. A `put` that
/// returns `Ok` is durable, and a reader sees a whole file or none (never a partial write).
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores a file under `id`, replacing any file stored there.
    async fn put_blob(&self, id: Id<AttachmentMarker>, blob: &Blob) -> StoreResult<()>;
    /// One file.
    async fn blob(&self, id: Id<AttachmentMarker>) -> StoreResult<Option<Blob>>;
    /// Deletes a file; `false` if there was none.
    async fn delete_blob(&self, id: Id<AttachmentMarker>) -> StoreResult<bool>;
}

/// Webhooks.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook(&self, webhook: &WebhookRecord) -> StoreResult<()>;
    async fn webhook(&self, id: Id<WebhookMarker>) -> StoreResult<Option<WebhookRecord>>;
    async fn channel_webhooks(&self, channel: Id<ChannelMarker>) -> StoreResult<Vec<WebhookRecord>>;
    async fn guild_webhooks(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<WebhookRecord>>;
    async fn update_webhook(&self, webhook: &WebhookRecord) -> StoreResult<()>;
    async fn delete_webhook(&self, id: Id<WebhookMarker>) -> StoreResult<bool>;
}

/// Everything a backend provides.
pub trait Store:
    UserStore
    + ApplicationStore
    + GuildStore
    + ChannelStore
    + RoleStore
    + MemberStore
    + MessageStore
    + ReactionStore
    + PinStore
    + InviteStore
    + BanStore
    + WebhookStore
{
}

impl<T> Store for T where
    T: UserStore
        + ApplicationStore
        + GuildStore
        + ChannelStore
        + RoleStore
        + MemberStore
        + MessageStore
        + ReactionStore
        + PinStore
        + InviteStore
        + BanStore
        + WebhookStore
{
}

/// Clamps a page size to Discord's 1..=100 for message history.
pub const fn clamp_message_limit(limit: u32) -> u32 {
    if limit == 0 {
        1
    } else if limit > 100 {
        100
    } else {
        limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_trait_is_object_safe() {
        fn takes(_: Option<&dyn Store>) {}
        takes(None);
    }

    #[test]
    fn buckets_are_ten_days() {
        let day_ms = 24 * 60 * 60 * 1000u64;
        let at = |ms: u64| Id::<MessageMarker>::new_checked((ms << 22) | 1).unwrap();
        assert_eq!(message_bucket(at(0)), 0);
        assert_eq!(message_bucket(at(10 * day_ms - 1)), 0);
        assert_eq!(message_bucket(at(10 * day_ms)), 1);
        assert_eq!(message_bucket(at(25 * day_ms)), 2);
    }

    #[test]
    fn message_limit_clamped() {
        assert_eq!((clamp_message_limit(0), clamp_message_limit(50), clamp_message_limit(1000)), (1, 50, 100));
    }
}
