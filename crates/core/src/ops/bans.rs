//! Bans: listing, reading, banning (one user or up to 200 at once) and unbanning
//! (protocol.md §3.4 "Guilds", the ban rows; GUILD_BAN_ADD/REMOVE §2.1).
//!
//! Banning removes the user from the guild like a kick (GUILD_MEMBER_REMOVE to the guild,
//! GUILD_DELETE to them) and deletes their recent messages in it, firing MESSAGE_DELETE for a
//! channel that lost one message and MESSAGE_DELETE_BULK for one that lost several. A user who
//! is not a member can be banned too (pre-emptively), as on Discord.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;

use guildhall_bus::Event;
use guildhall_model::Id;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::guild::Ban;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, MessageMarker, UserMarker};
use guildhall_model::snowflake::sentinel_for_time;
use guildhall_model::user::User;
use guildhall_store::BanRecord;
use serde::{Deserialize, Serialize};

use super::messages::{Family, channel_event};
use super::{Actor, Code, Core, Error, ErrorKind, GuildAccess, Result, views};
use crate::hierarchy;
use crate::limits::{self, DELETE_MESSAGE_SECONDS_MAX, FormError, FormErrors, PathSegment};

/// `limit` of the ban list, highest (and default).
pub const BANS_LIMIT_MAX: u32 = 1000;
/// Users per bulk ban.
pub const BULK_BAN_MAX: usize = 200;
/// The deprecated `delete_message_days`, highest.
pub const DELETE_MESSAGE_DAYS_MAX: i64 = 7;
/// A ban reason, longest; longer reasons are cut.
pub const BAN_REASON_MAX: usize = 512;

/// `GET /guilds/{id}/bans` query. Plain numbers for `before`/`after`: libraries send `after=0`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct BansQuery {
    /// 1–1000, default 1000.
    pub limit: Option<u32>,
    /// Bans of users with lower ids (wins over `after`).
    pub before: Option<u64>,
    /// Bans of users with higher ids.
    pub after: Option<u64>,
}

/// `PUT /guilds/{id}/bans/{user_id}`.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct CreateBan {
    /// Delete the user's messages of the last N seconds (0–604800).
    pub delete_message_seconds: Option<i64>,
    /// Deprecated: the same in days (0–7); `delete_message_seconds` wins when both are given.
    pub delete_message_days: Option<i64>,
}

/// `POST /guilds/{id}/bulk-ban`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BulkBan {
    /// Up to 200 users; required.
    pub user_ids: Option<Vec<Id<UserMarker>>>,
    /// Delete their messages of the last N seconds (0–604800).
    pub delete_message_seconds: Option<i64>,
}

/// The answer to a bulk ban.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BulkBanResult {
    /// Users banned by this request.
    pub banned_users: Vec<Id<UserMarker>>,
    /// Users not banned: unknown, the owner, ranked too high, or already banned.
    pub failed_users: Vec<Id<UserMarker>>,
}

fn seconds_field(value: Option<i64>, field: &'static str, max: i64, unit: i64, errors: &mut FormErrors) -> Option<u32> {
    let value = value?;
    match limits::validate_range(&[PathSegment::field(field)], value, 0, max) {
        Ok(()) => u32::try_from(value.saturating_mul(unit)).ok(),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// How many seconds of messages to delete: `delete_message_seconds`, else
/// `delete_message_days`, else none.
fn purge_window(seconds: Option<i64>, days: Option<i64>, errors: &mut FormErrors) -> u32 {
    let max = i64::from(DELETE_MESSAGE_SECONDS_MAX);
    let seconds = seconds_field(seconds, "delete_message_seconds", max, 1, errors);
    let days = seconds_field(days, "delete_message_days", DELETE_MESSAGE_DAYS_MAX, 86_400, errors);
    seconds.or(days).unwrap_or(0)
}

/// Empty reasons are no reason; long ones are cut at [`BAN_REASON_MAX`] characters.
fn normalize_reason(reason: Option<String>) -> Option<String> {
    reason.filter(|r| !r.is_empty()).map(|r| r.chars().take(BAN_REASON_MAX).collect())
}

impl Core {
    /// `GET /guilds/{guild_id}/bans`: BAN_MEMBERS; ascending by user id.
    pub async fn bans(&self, actor: &Actor, guild_id: Id<GuildMarker>, query: BansQuery) -> Result<Vec<Ban>> {
        let limit = query.limit.unwrap_or(BANS_LIMIT_MAX);
        limits::validate_range(&[PathSegment::field("limit")], limit, 1, BANS_LIMIT_MAX)?;
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::BAN_MEMBERS)?;
        let before = query.before.and_then(Id::new_checked);
        let after = query.after.and_then(Id::new_checked);
        let records = self.store().bans(guild_id, before, after, limit).await?;
        let ids: Vec<Id<UserMarker>> = records.iter().map(|b| b.user_id).collect();
        let users: HashMap<Id<UserMarker>, User> =
            self.store().users(&ids).await?.into_iter().map(|u| (u.user.id, u.user)).collect();
        Ok(records
            .into_iter()
            .filter_map(|b| users.get(&b.user_id).map(|u| Ban { reason: b.reason, user: views::public_user(u) }))
            .collect())
    }

    /// `GET /guilds/{guild_id}/bans/{user_id}`: BAN_MEMBERS; 10026 when not banned.
    pub async fn ban(&self, actor: &Actor, guild_id: Id<GuildMarker>, user_id: Id<UserMarker>) -> Result<Ban> {
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::BAN_MEMBERS)?;
        let (ban, user) = tokio::try_join!(self.store().ban(guild_id, user_id), self.store().user(user_id))?;
        match (ban, user) {
            (Some(ban), Some(user)) => Ok(Ban { reason: ban.reason, user: views::public_user(&user.user) }),
            _ => Err(Error::code(Code::UnknownBan)),
        }
    }

    /// `PUT /guilds/{guild_id}/bans/{user_id}`: BAN_MEMBERS, and a target below the actor when
    /// it is a member; never the owner. `reason` comes from `X-Audit-Log-Reason`. Banning an
    /// already banned user updates the reason and deletes messages again, without a second
    /// GUILD_BAN_ADD.
    pub async fn create_ban(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        request: CreateBan,
        reason: Option<String>,
    ) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        let purge = purge_window(request.delete_message_seconds, request.delete_message_days, &mut errors);
        errors.into_result()?;
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::BAN_MEMBERS)?;
        self.ban_user(&access, user_id, normalize_reason(reason), purge).await?;
        Ok(())
    }

    /// `POST /guilds/{guild_id}/bulk-ban`: BAN_MEMBERS and MANAGE_GUILD; each user is banned
    /// as by [`Core::create_ban`] or listed as failed; 500000 when nobody was banned.
    pub async fn bulk_ban(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        request: BulkBan,
        reason: Option<String>,
    ) -> Result<BulkBanResult> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        let purge = purge_window(request.delete_message_seconds, None, &mut errors);
        let user_ids = request.user_ids.unwrap_or_default();
        if user_ids.len() > BULK_BAN_MAX {
            errors.push(FormError::new(
                vec![PathSegment::field("user_ids")],
                limits::codes::BASE_TYPE_MAX_LENGTH,
                format!("Must be {BULK_BAN_MAX} or fewer in length."),
            ));
        }
        errors.into_result()?;
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::BAN_MEMBERS | Permissions::MANAGE_GUILD)?;
        let reason = normalize_reason(reason);
        let mut result = BulkBanResult { banned_users: Vec::new(), failed_users: Vec::new() };
        for user_id in user_ids {
            if result.banned_users.contains(&user_id) || result.failed_users.contains(&user_id) {
                continue;
            }
            // Already banned counts as failed, and that ban is left as it was.
            if self.store().ban(guild_id, user_id).await?.is_some() {
                result.failed_users.push(user_id);
                continue;
            }
            match self.ban_user(&access, user_id, reason.clone(), purge).await {
                Ok(_) => result.banned_users.push(user_id),
                // A store failure is the server's problem, not this user's.
                Err(e) if e.kind() == ErrorKind::Internal => return Err(e),
                Err(_) => result.failed_users.push(user_id),
            }
        }
        if result.banned_users.is_empty() {
            return Err(Error::code(Code::BulkBanFailed));
        }
        Ok(result)
    }

    /// `DELETE /guilds/{guild_id}/bans/{user_id}`: BAN_MEMBERS; 10026 when not banned; 204 and
    /// GUILD_BAN_REMOVE.
    pub async fn delete_ban(&self, actor: &Actor, guild_id: Id<GuildMarker>, user_id: Id<UserMarker>) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::BAN_MEMBERS)?;
        let user = self.store().user(user_id).await?;
        if !self.store().delete_ban(guild_id, user_id).await? {
            return Err(Error::code(Code::UnknownBan));
        }
        let user = match user {
            Some(record) => serde_json::to_value(views::public_user(&record.user)).map_err(|e| Error::internal(&e))?,
            None => serde_json::json!({ "id": user_id }),
        };
        self.publish(ban_event("GUILD_BAN_REMOVE", guild_id, user)).await;
        Ok(())
    }

    /// Bans one user for an actor already known to hold BAN_MEMBERS. `Ok(false)` when the user
    /// was already banned.
    async fn ban_user(
        &self,
        access: &GuildAccess,
        user_id: Id<UserMarker>,
        reason: Option<String>,
        purge_secs: u32,
    ) -> Result<bool> {
        let guild_id = access.guild_id();
        let store = self.store();
        let (user, member, existing) =
            tokio::try_join!(store.user(user_id), store.member(guild_id, user_id), store.ban(guild_id, user_id))?;
        let user = user.ok_or_else(|| Error::code(Code::UnknownUser))?.user;
        if user_id == access.guild.owner_id {
            return Err(Error::code(Code::MissingPermissions));
        }
        if let Some(member) = &member
            && !hierarchy::can_moderate_member(&access.hierarchy(), &member.roles, user_id)
        {
            return Err(Error::code(Code::MissingPermissions));
        }
        store.create_ban(&BanRecord { guild_id, user_id, reason }).await?;
        let newly_banned = existing.is_none();
        if newly_banned {
            let user_json = serde_json::to_value(views::public_user(&user)).map_err(|e| Error::internal(&e))?;
            self.publish(ban_event("GUILD_BAN_ADD", guild_id, user_json)).await;
        }
        if member.is_some() && store.remove_member(guild_id, user_id).await? {
            self.publish_member_removed(guild_id, &user).await?;
        }
        if purge_secs > 0 {
            self.purge_messages(guild_id, user_id, purge_secs).await?;
        }
        Ok(newly_banned)
    }

    /// Deletes `author`'s messages in the guild from the last `secs` seconds.
    async fn purge_messages(&self, guild_id: Id<GuildMarker>, author: Id<UserMarker>, secs: u32) -> Result<()> {
        let now_ms = u64::try_from(self.now().as_millis()).unwrap_or(0);
        let since_ms = now_ms.saturating_sub(u64::from(secs).saturating_mul(1000));
        // The smallest snowflake of that moment, so every message sent since is included.
        let since: Id<MessageMarker> =
            Id::from_nonzero(NonZeroU64::new(sentinel_for_time(since_ms)).unwrap_or(NonZeroU64::MIN));
        let found = self.store().messages_by_author(guild_id, author, since).await?;
        let mut by_channel: BTreeMap<Id<ChannelMarker>, Vec<Id<MessageMarker>>> = BTreeMap::new();
        for (channel, message) in found {
            by_channel.entry(channel).or_default().push(message);
        }
        for (channel_id, ids) in by_channel {
            // The files go with the messages (see `messages::attachments`).
            self.erase_files_of(channel_id, &ids).await?;
            let deleted = self.store().delete_messages(channel_id, &ids).await?;
            let Some(channel) = self.store().channel(channel_id).await? else { continue };
            // Through `channel_event`, so a voice channel's chat events also need CONNECT.
            let event = match deleted.as_slice() {
                [] => continue,
                [id] => channel_event(
                    &channel,
                    Family::Messages,
                    "MESSAGE_DELETE",
                    serde_json::json!({ "id": id, "channel_id": channel_id, "guild_id": guild_id }),
                ),
                ids => channel_event(
                    &channel,
                    Family::Messages,
                    "MESSAGE_DELETE_BULK",
                    serde_json::json!({ "ids": ids, "channel_id": channel_id, "guild_id": guild_id }),
                ),
            };
            self.publish(event).await;
        }
        Ok(())
    }
}

/// GUILD_BAN_ADD/REMOVE `{guild_id, user}`: GUILD_MODERATION, and only to members who hold
/// BAN_MEMBERS or VIEW_AUDIT_LOG.
fn ban_event(name: &'static str, guild_id: Id<GuildMarker>, user: serde_json::Value) -> Event {
    Event::guild(
        name,
        guild_id,
        None,
        Intents::GUILD_MODERATION,
        serde_json::json!({ "guild_id": guild_id, "user": user }),
    )
    .requiring(Permissions::BAN_MEMBERS | Permissions::VIEW_AUDIT_LOG)
}
