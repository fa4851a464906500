//! Invites: create, list, read, delete, accept (protocol.md §3.4 "Channels" and "Invites", §3.6
//! "Invite", events §2.1).
//!
//! An invite that has expired (`max_age` seconds after creation, 0 = never) or been used
//! `max_uses` times (0 = unlimited) is gone for every purpose: 10006. INVITE_CREATE/DELETE go
//! to members with MANAGE_CHANNELS in the invite's channel and the GUILD_INVITES intent.

use std::collections::HashMap;

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::guild::Guild;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_model::invite::{Invite, InviteChannel, InviteGuild, InviteMetadata, InviteType};
use guildhall_model::user::User;
use guildhall_model::{Id, Timestamp};
use guildhall_store::{InviteRecord, StoreError};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{Actor, Code, Core, Error, Result, views};
use crate::limits::{self, FormErrors};

/// Invite `max_age` when the body leaves it out (24 hours).
pub const DEFAULT_MAX_AGE: u32 = 86_400;
/// Attempts at a fresh random code before giving up (a collision is already unlikely).
const CODE_ATTEMPTS: usize = 8;

/// `POST /channels/{id}/invites`. `unique: false` (the default) returns an existing invite with
/// the same settings by the same inviter, as Discord does.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct CreateInvite {
    pub max_age: Option<u32>,
    pub max_uses: Option<u32>,
    pub temporary: Option<bool>,
    pub unique: Option<bool>,
}

/// `GET /invites/{code}` query.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct InviteQuery {
    #[serde(default, deserialize_with = "crate::ops::query::opt_bool")]
    pub with_counts: Option<bool>,
}

/// The answer to `POST /invites/{code}`: the invite, and whether the user just joined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AcceptedInvite {
    #[serde(flatten)]
    pub invite: Invite,
    pub new_member: bool,
}

/// A random code of 8–10 letters and digits.
fn random_code() -> String {
    let mut rng = rand::rng();
    let len = rng.random_range(8..=10);
    (0..len).map(|_| char::from(rng.sample(rand::distr::Alphanumeric))).collect()
}

fn expires_at(record: &InviteRecord) -> Option<Timestamp> {
    (record.max_age > 0).then(|| {
        Timestamp::from_micros(record.created_at.as_micros().saturating_add(i64::from(record.max_age) * 1_000_000))
    })
}

/// Whether the invite can no longer be used at `now`.
fn is_dead(record: &InviteRecord, now: Timestamp) -> bool {
    let expired = expires_at(record).is_some_and(|at| at <= now);
    let used_up = record.max_uses > 0 && record.uses >= record.max_uses;
    expired || used_up
}

/// The invite object; `metadata` adds the usage counters (listings and create).
fn render(record: &InviteRecord, guild: &Guild, channel: &Channel, inviter: Option<&User>, metadata: bool) -> Invite {
    Invite {
        kind: InviteType::Guild,
        code: record.code.clone(),
        guild: Some(InviteGuild {
            id: guild.id,
            name: guild.name.clone(),
            icon: guild.icon.clone(),
            splash: guild.splash.clone(),
            banner: guild.banner.clone(),
            description: guild.description.clone(),
            features: guild.features.clone(),
            verification_level: guild.verification_level.value(),
            nsfw_level: guild.nsfw_level.value(),
            vanity_url_code: guild.vanity_url_code.clone(),
        }),
        guild_id: None,
        channel: Some(InviteChannel {
            id: channel.id,
            kind: channel.kind,
            name: channel.name.clone().and_then(guildhall_model::Nullable::into_option),
        }),
        inviter: inviter.map(views::public_user),
        target_type: None,
        target_user: None,
        approximate_presence_count: None,
        approximate_member_count: None,
        expires_at: expires_at(record),
        roles: None,
        metadata: metadata.then_some(InviteMetadata {
            uses: record.uses,
            max_uses: record.max_uses,
            max_age: record.max_age,
            temporary: record.temporary,
            created_at: record.created_at,
        }),
    }
}

impl Core {
    /// The invite's guild, channel and inviter, loaded for rendering.
    async fn invite_parts(&self, record: &InviteRecord) -> Result<(Guild, Channel, Option<User>)> {
        let store = self.store();
        let (guild, channel) = tokio::try_join!(store.guild(record.guild_id), store.channel(record.channel_id))?;
        let (Some(guild), Some(channel)) = (guild, channel) else { return Err(Error::code(Code::UnknownInvite)) };
        let inviter = match record.inviter_id {
            Some(id) => store.user(id).await?.map(|u| u.user),
            None => None,
        };
        Ok((guild, channel, inviter))
    }

    /// Renders several invites with their metadata, skipping dead ones.
    async fn render_listing(&self, records: Vec<InviteRecord>) -> Result<Vec<Invite>> {
        let now = self.now();
        let records: Vec<InviteRecord> = records.into_iter().filter(|r| !is_dead(r, now)).collect();
        let mut inviter_ids: Vec<Id<UserMarker>> = records.iter().filter_map(|r| r.inviter_id).collect();
        inviter_ids.sort();
        inviter_ids.dedup();
        let users: HashMap<_, _> =
            self.store().users(&inviter_ids).await?.into_iter().map(|u| (u.user.id, u.user)).collect();
        let mut guilds: HashMap<Id<GuildMarker>, Guild> = HashMap::new();
        let mut channels: HashMap<Id<ChannelMarker>, Channel> = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for record in &records {
            if !guilds.contains_key(&record.guild_id)
                && let Some(g) = self.store().guild(record.guild_id).await?
            {
                guilds.insert(g.id, g);
            }
            if !channels.contains_key(&record.channel_id)
                && let Some(c) = self.store().channel(record.channel_id).await?
            {
                channels.insert(c.id, c);
            }
            if let (Some(guild), Some(channel)) = (guilds.get(&record.guild_id), channels.get(&record.channel_id)) {
                let inviter = record.inviter_id.and_then(|id| users.get(&id));
                out.push(render(record, guild, channel, inviter, true));
            }
        }
        Ok(out)
    }

    /// A live invite by code, or 10006.
    async fn live_invite(&self, code: &str) -> Result<InviteRecord> {
        match self.store().invite(code).await? {
            Some(record) if !is_dead(&record, self.now()) => Ok(record),
            _ => Err(Error::code(Code::UnknownInvite)),
        }
    }

    /// `POST /channels/{id}/invites`: CREATE_INSTANT_INVITE in the channel; at most
    /// [`MAX_INVITES`] live invites per guild (30016). Returns the invite with its
    /// metadata; fires INVITE_CREATE when a new one is made.
    pub async fn create_invite(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        request: CreateInvite,
    ) -> Result<Invite> {
        let mut errors = FormErrors::new();
        let max_age = request.max_age.unwrap_or(DEFAULT_MAX_AGE);
        let max_uses = request.max_uses.unwrap_or(0);
        errors.check(limits::validate_invite_max_age(max_age));
        errors.check(limits::validate_invite_max_uses(max_uses));
        errors.into_result()?;
        let temporary = request.temporary.unwrap_or(false);

        let access = self.channel_access(actor, channel_id).await?;
        let guild = access.guild()?;
        if access.channel.kind == ChannelType::GuildCategory || access.channel.kind.is_thread() {
            return Err(Error::code(Code::WrongChannelType));
        }
        access.require(Permissions::CREATE_INSTANT_INVITE)?;
        let now = self.now();
        if request.unique != Some(true) {
            let reusable = self.store().channel_invites(channel_id).await?.into_iter().find(|r| {
                r.inviter_id == Some(actor.id())
                    && r.max_age == max_age
                    && r.max_uses == max_uses
                    && r.temporary == temporary
                    && !is_dead(r, now)
            });
            if let Some(record) = reusable {
                return Ok(render(&record, &guild.guild, &access.channel, Some(&actor.user), true));
            }
        }
        let live = self.store().guild_invites(guild.guild_id()).await?.iter().filter(|r| !is_dead(r, now)).count();
        if live >= MAX_INVITES {
            return Err(Error::code(Code::MaxInvites));
        }
        let mut record = InviteRecord {
            code: String::new(),
            guild_id: guild.guild_id(),
            channel_id,
            inviter_id: Some(actor.id()),
            max_age,
            max_uses,
            temporary,
            uses: 0,
            created_at: now,
        };
        let mut created = false;
        for _ in 0..CODE_ATTEMPTS {
            record.code = random_code();
            match self.store().create_invite(&record).await {
                Ok(()) => {
                    created = true;
                    break;
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !created {
            return Err(Error::with_message(Code::Internal, "could not allocate an invite code"));
        }
        let invite = render(&record, &guild.guild, &access.channel, Some(&actor.user), true);
        let data = serde_json::json!({
            "channel_id": channel_id,
            "code": record.code,
            "created_at": record.created_at,
            "guild_id": record.guild_id,
            "inviter": views::public_user(&actor.user),
            "max_age": max_age,
            "max_uses": max_uses,
            "temporary": temporary,
            "uses": 0,
            "expires_at": invite.expires_at,
            "type": InviteType::Guild,
        });
        self.publish(
            Event::guild("INVITE_CREATE", record.guild_id, Some(channel_id), Intents::GUILD_INVITES, data)
                .requiring(Permissions::MANAGE_CHANNELS),
        )
        .await;
        Ok(invite)
    }

    /// `GET /channels/{id}/invites`: MANAGE_CHANNELS in the channel; invites with metadata.
    pub async fn channel_invites(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<Vec<Invite>> {
        let access = self.channel_access(actor, channel_id).await?;
        access.guild()?;
        access.require(Permissions::MANAGE_CHANNELS)?;
        let records = self.store().channel_invites(channel_id).await?;
        self.render_listing(records).await
    }

    /// `GET /guilds/{id}/invites`: MANAGE_GUILD; invites with metadata.
    pub async fn guild_invites(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<Vec<Invite>> {
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_GUILD)?;
        let records = self.store().guild_invites(guild_id).await?;
        self.render_listing(records).await
    }

    /// `GET /invites/{code}`: anyone signed in, members or not; `with_counts` adds the
    /// approximate member and presence counts.
    pub async fn invite(&self, _actor: &Actor, code: &str, query: InviteQuery) -> Result<Invite> {
        let record = self.live_invite(code).await?;
        let (guild, channel, inviter) = self.invite_parts(&record).await?;
        let mut invite = render(&record, &guild, &channel, inviter.as_ref(), false);
        if query.with_counts == Some(true) {
            invite.approximate_member_count = Some(self.store().member_count(guild.id).await?);
            invite.approximate_presence_count = Some(self.presence_count(guild.id).await?);
        }
        Ok(invite)
    }

    /// `DELETE /invites/{code}`: MANAGE_CHANNELS in the invite's channel or MANAGE_GUILD.
    /// Returns the invite; fires INVITE_DELETE.
    pub async fn delete_invite(&self, actor: &Actor, code: &str) -> Result<Invite> {
        let record = self.store().invite(code).await?.ok_or_else(|| Error::code(Code::UnknownInvite))?;
        let access = match self.guild_access(actor, record.guild_id).await {
            Ok(access) => access,
            Err(e) if e.is(Code::UnknownGuild) => return Err(Error::code(Code::MissingPermissions)),
            Err(e) => return Err(e),
        };
        let (guild, channel, inviter) = self.invite_parts(&record).await?;
        let in_channel = access.channel_permissions(&channel, None);
        if !access.permissions.contains(Permissions::MANAGE_GUILD) && !in_channel.contains(Permissions::MANAGE_CHANNELS)
        {
            return Err(Error::code(Code::MissingPermissions));
        }
        self.store().delete_invite(code).await?.ok_or_else(|| Error::code(Code::UnknownInvite))?;
        let data = serde_json::json!({ "channel_id": channel.id, "guild_id": guild.id, "code": record.code });
        self.publish(
            Event::guild("INVITE_DELETE", guild.id, Some(channel.id), Intents::GUILD_INVITES, data)
                .requiring(Permissions::MANAGE_CHANNELS),
        )
        .await;
        Ok(render(&record, &guild, &channel, inviter.as_ref(), false))
    }

    /// `POST /invites/{code}`: joins the guild (user accounts only, 20001 for bots; 40007 when
    /// banned). A member already in the guild gets the invite back without using it. Fires
    /// GUILD_CREATE to the new member, then GUILD_MEMBER_ADD.
    pub async fn accept_invite(&self, actor: &Actor, code: &str) -> Result<AcceptedInvite> {
        if actor.is_bot() {
            return Err(Error::code(Code::BotsCannotUse));
        }
        let record = self.live_invite(code).await?;
        let (guild, channel, inviter) = self.invite_parts(&record).await?;
        let already = self.store().member(guild.id, actor.id()).await?.is_some();
        if already {
            let invite = render(&record, &guild, &channel, inviter.as_ref(), false);
            return Ok(AcceptedInvite { invite, new_member: false });
        }
        if self.store().ban(guild.id, actor.id()).await?.is_some() {
            return Err(Error::code(Code::BannedFromGuild));
        }
        let used = self.store().use_invite(code).await?.ok_or_else(|| Error::code(Code::UnknownInvite))?;
        self.join_guild(guild.id, &actor.user).await?;
        let invite = render(&used, &guild, &channel, inviter.as_ref(), false);
        Ok(AcceptedInvite { invite, new_member: true })
    }
}

/// Live invites per guild (error 30016).
pub const MAX_INVITES: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_discords_shape() {
        for _ in 0..50 {
            let code = random_code();
            assert!((8..=10).contains(&code.len()), "{code}");
            assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn expiry_and_use_limits() {
        let record = InviteRecord {
            code: "abc".into(),
            guild_id: Id::new_checked(1).unwrap(),
            channel_id: Id::new_checked(2).unwrap(),
            inviter_id: None,
            max_age: 60,
            max_uses: 2,
            temporary: false,
            uses: 1,
            created_at: Timestamp::from_millis(1_000_000),
        };
        assert!(!is_dead(&record, Timestamp::from_millis(1_059_999)));
        assert!(is_dead(&record, Timestamp::from_millis(1_060_000)));
        assert!(is_dead(&InviteRecord { uses: 2, ..record.clone() }, Timestamp::from_millis(1_000_000)));
        let forever = InviteRecord { max_age: 0, max_uses: 0, uses: 99, ..record };
        assert!(!is_dead(&forever, Timestamp::from_millis(i64::MAX / 1000)));
        assert_eq!(expires_at(&forever), None);
    }
}
