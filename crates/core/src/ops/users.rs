//! Users: the current user, other users, the current user's guilds, leaving a guild and DM
//! channels (protocol.md §3.4 "Users").

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, Nullable};
use serde::{Deserialize, Serialize};

use super::views::image_hash;
use super::{Actor, Code, Core, Error, Result, views};
use crate::limits::{self, FormError, FormErrors, PathSegment};

/// `PATCH /users/@me`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateCurrentUser {
    pub username: Option<String>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub global_name: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub avatar: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub banner: Option<Nullable<String>>,
}

/// `GET /users/@me/guilds` query.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct CurrentUserGuildsQuery {
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub before: Option<Id<GuildMarker>>,
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub after: Option<Id<GuildMarker>>,
    pub limit: Option<u32>,
    #[serde(default, deserialize_with = "crate::ops::query::opt_bool")]
    pub with_counts: Option<bool>,
}

/// An entry of `GET /users/@me/guilds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartialGuild {
    pub id: Id<GuildMarker>,
    pub name: String,
    pub icon: Option<String>,
    pub banner: Option<String>,
    pub owner: bool,
    pub permissions: Permissions,
    pub features: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
}

/// `POST /users/@me/channels`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct CreateDm {
    pub recipient_id: Option<Id<UserMarker>>,
}

/// The lock key under which username uniqueness is checked and claimed (no snowflake is 0).
pub(crate) const USERNAMES_LOCK: u64 = 0;

/// 50035 for a username another account holds.
pub(crate) fn username_taken() -> FormError {
    FormError::new(
        vec![PathSegment::field("username")],
        "USERNAME_ALREADY_TAKEN",
        "Username is unavailable. Try adding numbers, letters, underscores _ , or periods.",
    )
}

impl Core {
    /// `GET /users/@me`.
    pub async fn current_user(&self, actor: &Actor) -> Result<User> {
        let record = self.store().user(actor.id()).await?.ok_or_else(|| Error::code(Code::UnknownUser))?;
        Ok(views::current_user(&record.user, record.email.as_deref()))
    }

    /// `GET /users/{id}`.
    pub async fn user(&self, _actor: &Actor, id: Id<UserMarker>) -> Result<User> {
        let record = self.store().user(id).await?.ok_or_else(|| Error::code(Code::UnknownUser))?;
        Ok(views::public_user(&record.user))
    }

    /// `PATCH /users/@me`: fires USER_UPDATE to the user's sessions.
    pub async fn update_current_user(&self, actor: &Actor, request: UpdateCurrentUser) -> Result<User> {
        let _guard = self.lock(actor.id().get()).await;
        let mut errors = FormErrors::new();
        if let Some(name) = &request.username {
            errors.check(limits::validate_username(name));
        }
        if let Some(Nullable::Value(global)) = &request.global_name {
            errors.check(limits::validate_length(&[PathSegment::field("global_name")], global, 1, 32));
        }
        let mut avatar = None;
        if let Some(value) = &request.avatar {
            match value {
                Nullable::Null => avatar = Some(None),
                Nullable::Value(uri) => match image_hash("avatar", uri) {
                    Ok(hash) => avatar = Some(Some(hash)),
                    Err(e) => errors.push(e),
                },
            }
        }
        let mut banner = None;
        if let Some(value) = &request.banner {
            match value {
                Nullable::Null => banner = Some(Nullable::Null),
                Nullable::Value(uri) => match image_hash("banner", uri) {
                    Ok(hash) => banner = Some(Nullable::Value(hash)),
                    Err(e) => errors.push(e),
                },
            }
        }
        // Usernames are unique (case-insensitively), as `register` requires: login by username
        // must find one account.
        let _names = match request.username {
            Some(_) => Some(self.lock(USERNAMES_LOCK).await),
            None => None,
        };
        if let Some(name) = request.username.as_deref()
            && errors.is_empty()
            && self.store().users_by_username(name).await?.iter().any(|u| u.user.id != actor.id())
        {
            errors.push(username_taken());
        }
        errors.into_result()?;

        let mut record = self.store().user(actor.id()).await?.ok_or_else(|| Error::code(Code::UnknownUser))?;
        if let Some(name) = request.username {
            record.user.username = name;
        }
        if let Some(global) = request.global_name {
            record.user.global_name = Some(global);
        }
        if let Some(avatar) = avatar {
            record.user.avatar = avatar;
        }
        if let Some(banner) = banner {
            record.user.banner = Some(banner);
        }
        self.store().update_user(&record).await?;
        let user = views::current_user(&record.user, record.email.as_deref());
        self.publish(Event::users(
            "USER_UPDATE",
            vec![actor.id()],
            Intents::empty(),
            serde_json::to_value(&user).map_err(|e| Error::internal(&e))?,
        ))
        .await;
        Ok(user)
    }

    /// `GET /users/@me/guilds`: ascending by id, `before`/`after` exclusive, limit 1–200.
    pub async fn current_user_guilds(&self, actor: &Actor, query: CurrentUserGuildsQuery) -> Result<Vec<PartialGuild>> {
        let limit = query.limit.unwrap_or(200);
        limits::validate_range(&[PathSegment::field("limit")], limit, 1, 200)?;
        let mut ids = self.store().guild_ids_for_user(actor.id()).await?;
        ids.sort();
        ids.retain(|id| query.after.is_none_or(|after| *id > after) && query.before.is_none_or(|before| *id < before));
        // With only `before`, Discord returns the guilds just before it.
        let skip =
            if query.before.is_some() && query.after.is_none() { ids.len().saturating_sub(limit as usize) } else { 0 };
        let mut out = Vec::new();
        for id in ids.into_iter().skip(skip).take(limit as usize) {
            let access = self.guild_access(actor, id).await?;
            let counts = if query.with_counts == Some(true) {
                Some((self.store().member_count(id).await?, self.presence_count(id).await?))
            } else {
                None
            };
            out.push(PartialGuild {
                id,
                name: access.guild.name.clone(),
                icon: access.guild.icon.clone(),
                banner: access.guild.banner.clone(),
                owner: access.is_owner(),
                permissions: access.permissions,
                features: access.guild.features.clone(),
                approximate_member_count: counts.map(|(members, _)| members),
                approximate_presence_count: counts.map(|(_, online)| online),
            });
        }
        Ok(out)
    }

    /// `DELETE /users/@me/guilds/{id}`: the owner cannot leave (50055).
    pub async fn leave_guild(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        if access.is_owner() {
            return Err(Error::code(Code::InvalidGuild));
        }
        self.store().remove_member(guild_id, actor.id()).await?;
        self.drop_member_voice(guild_id, actor.id()).await?;
        let user = serde_json::to_value(views::public_user(&actor.user)).map_err(|e| Error::internal(&e))?;
        self.publish(Event::guild(
            "GUILD_MEMBER_REMOVE",
            guild_id,
            None,
            Intents::GUILD_MEMBERS,
            serde_json::json!({ "guild_id": guild_id, "user": user }),
        ))
        .await;
        self.publish(Event::users(
            "GUILD_DELETE",
            vec![actor.id()],
            Intents::GUILDS,
            serde_json::json!({ "id": guild_id }),
        ))
        .await;
        Ok(())
    }

    /// `POST /users/@me/channels`: the existing DM with the recipient, or a new one. Bots may
    /// only open DMs with users they share a guild with (50007 otherwise).
    pub async fn create_dm(&self, actor: &Actor, request: CreateDm) -> Result<Channel> {
        let recipient_id = request
            .recipient_id
            .ok_or_else(|| Error::field(FormError::required(&[PathSegment::field("recipient_id")])))?;
        let recipient = self.store().user(recipient_id).await?.ok_or_else(|| Error::code(Code::UnknownUser))?;
        // Both sides opening the DM at once must get the same channel.
        let _guard = self.lock(actor.id().min(recipient_id).get()).await;
        if let Some(existing) = self.store().dm_channel(actor.id(), recipient_id).await? {
            return Ok(dm_view(existing, actor.id()));
        }
        if actor.is_bot() && recipient_id != actor.id() {
            let mine = self.store().guild_ids_for_user(actor.id()).await?;
            let theirs = self.store().guild_ids_for_user(recipient_id).await?;
            if !mine.iter().any(|g| theirs.contains(g)) {
                return Err(Error::code(Code::CannotMessageUser));
            }
        }
        let mut channel = Channel::new(self.next_id(), ChannelType::Dm);
        channel.last_message_id = Some(Nullable::Null);
        channel.flags = Some(Default::default());
        let mut recipients = vec![views::public_user(&actor.user)];
        if recipient_id != actor.id() {
            recipients.push(views::public_user(&recipient.user));
        }
        channel.recipients = Some(recipients);
        self.store().create_channel(&channel).await?;
        Ok(dm_view(channel, actor.id()))
    }
}

/// A DM as `viewer` sees it: the other recipients only.
pub fn dm_view(mut channel: Channel, viewer: Id<UserMarker>) -> Channel {
    if let Some(recipients) = &mut channel.recipients
        && recipients.len() > 1
    {
        recipients.retain(|u| u.id != viewer);
    }
    channel
}
