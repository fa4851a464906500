//! Guild members: joining (invites and bot authorization share it), reading, listing and
//! searching them, granting and taking roles, kicking
//! (protocol.md §3.4 "Guilds", the member rows; events §2.1). Editing a member
//! ([`UpdateMember`]) lives in `update.rs`.
//!
//! A member id that names no user at all is 10013 Unknown User; a user who is not in the guild
//! is 10007 Unknown Member, as Discord answers `GET /guilds/{id}/members/{user.id}`.

use std::collections::HashMap;

use guildhall_bus::Event;
use guildhall_model::flags::{ApplicationFlags, Intents, Permissions};
use guildhall_model::guild::{Member, Role};
use guildhall_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, Nullable};
use guildhall_store::{MemberRecord, StoreError};
use serde::Deserialize;

use super::guilds::{GuildCreateOptions, to_json};
use super::{Actor, Code, Core, Error, GuildAccess, Result, views};
use crate::hierarchy;
use crate::limits::{self, FormError, FormErrors, PathSegment};

mod update;

pub use update::{UpdateCurrentMember, UpdateMember};

/// `limit` of the member list and search, highest.
pub const MEMBERS_LIMIT_MAX: u32 = 1000;

/// `GET /guilds/{id}/members` query.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct ListMembersQuery {
    /// 1–1000, default 1.
    pub limit: Option<u32>,
    /// The highest user id of the previous page. A plain number: Discord's default is 0, which
    /// libraries send (`after=0`) and which no snowflake can be.
    pub after: Option<u64>,
}

/// `GET /guilds/{id}/members/search` query.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SearchMembersQuery {
    /// A prefix of the username or nickname (case-insensitive); required.
    pub query: Option<String>,
    /// 1–1000, default 1.
    pub limit: Option<u32>,
}

fn validate_limit(limit: Option<u32>, errors: &mut FormErrors) -> u32 {
    let limit = limit.unwrap_or(1);
    errors.check(limits::validate_range(&[PathSegment::field("limit")], limit, 1, MEMBERS_LIMIT_MAX));
    limit
}

impl Core {
    /// `GET /guilds/{guild_id}/members/{user_id}`.
    pub async fn member(&self, actor: &Actor, guild_id: Id<GuildMarker>, user_id: Id<UserMarker>) -> Result<Member> {
        self.guild_access(actor, guild_id).await?;
        let (record, user) = self.target_member(guild_id, user_id).await?;
        Ok(views::member(&record, Some(&user)))
    }

    /// `GET /users/@me/guilds/{guild_id}/member`: the actor's own membership.
    pub async fn current_user_member(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<Member> {
        let access = self.guild_access(actor, guild_id).await?;
        Ok(views::member(&access.member, Some(&actor.user)))
    }

    /// `GET /guilds/{guild_id}/members`: ascending by user id after `after`. Bots need the
    /// GUILD_MEMBERS privileged intent granted to their application (50001 otherwise).
    pub async fn members(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        query: ListMembersQuery,
    ) -> Result<Vec<Member>> {
        let mut errors = FormErrors::new();
        let limit = validate_limit(query.limit, &mut errors);
        errors.into_result()?;
        self.guild_access(actor, guild_id).await?;
        if actor.is_bot() && !self.has_members_intent(actor).await? {
            return Err(Error::code(Code::MissingAccess));
        }
        let after = query.after.and_then(Id::new_checked);
        let records = self.store().members(guild_id, after, limit).await?;
        self.render_members(&records).await
    }

    /// `GET /guilds/{guild_id}/members/search`: members whose username or nickname starts with
    /// `query`, ignoring case.
    pub async fn search_members(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        query: SearchMembersQuery,
    ) -> Result<Vec<Member>> {
        let mut errors = FormErrors::new();
        let text = query.query.unwrap_or_default();
        if text.is_empty() {
            errors.push(FormError::required(&[PathSegment::field("query")]));
        }
        let limit = validate_limit(query.limit, &mut errors);
        errors.into_result()?;
        self.guild_access(actor, guild_id).await?;
        let records = self.store().search_members(guild_id, &text, limit).await?;
        self.render_members(&records).await
    }

    /// `PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}`: MANAGE_ROLES and a role below
    /// the actor's highest; 204 and GUILD_MEMBER_UPDATE (none when the member already has it).
    pub async fn add_member_role(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        role_id: Id<RoleMarker>,
    ) -> Result<()> {
        self.change_member_role(actor, guild_id, user_id, role_id, true).await
    }

    /// `DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}`: like
    /// [`Core::add_member_role`]; removing a role the member does not have is a no-op.
    pub async fn remove_member_role(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        role_id: Id<RoleMarker>,
    ) -> Result<()> {
        self.change_member_role(actor, guild_id, user_id, role_id, false).await
    }

    async fn change_member_role(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        role_id: Id<RoleMarker>,
        add: bool,
    ) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let (access, mut record, user) = self.role_grant_target(actor, guild_id, user_id, role_id).await?;
        if record.roles.contains(&role_id) == add {
            return Ok(());
        }
        if add {
            record.roles.push(role_id);
        } else {
            record.roles.retain(|r| *r != role_id);
        }
        self.store().update_member(&record).await?;
        self.publish_member_update(access.guild_id(), &record, &user).await
    }

    /// `DELETE /guilds/{guild_id}/members/{user_id}`: KICK_MEMBERS and a target below the actor
    /// (nobody kicks the owner); 204, GUILD_MEMBER_REMOVE to the guild and GUILD_DELETE to the
    /// kicked user.
    pub async fn kick_member(&self, actor: &Actor, guild_id: Id<GuildMarker>, user_id: Id<UserMarker>) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        let (record, user) = self.target_member(guild_id, user_id).await?;
        access.require(Permissions::KICK_MEMBERS)?;
        if !hierarchy::can_moderate_member(&access.hierarchy(), &record.roles, user_id) {
            return Err(Error::code(Code::MissingPermissions));
        }
        if self.store().remove_member(guild_id, user_id).await? {
            self.publish_member_removed(guild_id, &user).await?;
        }
        Ok(())
    }

    /// The member `user_id` of `guild_id` and their user: 10013 when no such user exists,
    /// 10007 when the user is not a member.
    pub(crate) async fn target_member(
        &self,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
    ) -> Result<(MemberRecord, User)> {
        let store = self.store();
        let (record, user) = tokio::try_join!(store.member(guild_id, user_id), store.user(user_id))?;
        let user = user.ok_or_else(|| Error::code(Code::UnknownUser))?.user;
        let record = record.ok_or_else(|| Error::code(Code::UnknownMember))?;
        Ok((record, user))
    }

    /// Fires GUILD_MEMBER_UPDATE: the member object with `user` and `guild_id` (§2.1).
    pub(crate) async fn publish_member_update(
        &self,
        guild_id: Id<GuildMarker>,
        record: &MemberRecord,
        user: &User,
    ) -> Result<()> {
        let mut data = serde_json::to_value(views::member(record, Some(user))).map_err(|e| Error::internal(&e))?;
        if let Some(map) = data.as_object_mut() {
            map.insert("guild_id".to_owned(), serde_json::json!(guild_id));
        }
        self.publish(Event::guild("GUILD_MEMBER_UPDATE", guild_id, None, Intents::GUILD_MEMBERS, data)).await;
        Ok(())
    }

    /// After a kick or a ban: the user's voice state goes (VOICE_STATE_UPDATE leave),
    /// GUILD_MEMBER_REMOVE `{guild_id, user}` to the guild, and
    /// GUILD_DELETE `{id}` (no `unavailable`: removed, not an outage) to the removed user.
    pub(crate) async fn publish_member_removed(&self, guild_id: Id<GuildMarker>, user: &User) -> Result<()> {
        self.drop_member_voice(guild_id, user.id).await?;
        let user_json = serde_json::to_value(views::public_user(user)).map_err(|e| Error::internal(&e))?;
        self.publish(Event::guild(
            "GUILD_MEMBER_REMOVE",
            guild_id,
            None,
            Intents::GUILD_MEMBERS,
            serde_json::json!({ "guild_id": guild_id, "user": user_json }),
        ))
        .await;
        self.publish(Event::users(
            "GUILD_DELETE",
            vec![user.id],
            Intents::GUILDS,
            serde_json::json!({ "id": guild_id }),
        ))
        .await;
        Ok(())
    }

    /// Whether the bot's application was granted GUILD_MEMBERS (full or limited).
    async fn has_members_intent(&self, actor: &Actor) -> Result<bool> {
        let application = match actor.application_id {
            Some(id) => self.store().application(id).await?,
            None => self.store().application_for_bot(actor.id()).await?,
        };
        let grant = ApplicationFlags::GATEWAY_GUILD_MEMBERS | ApplicationFlags::GATEWAY_GUILD_MEMBERS_LIMITED;
        Ok(application.is_some_and(|app| app.flags.intersects(grant)))
    }

    /// Member records with their users, in the records' order.
    async fn render_members(&self, records: &[MemberRecord]) -> Result<Vec<Member>> {
        let ids: Vec<Id<UserMarker>> = records.iter().map(|r| r.user_id).collect();
        let users: HashMap<Id<UserMarker>, User> =
            self.store().users(&ids).await?.into_iter().map(|u| (u.user.id, u.user)).collect();
        Ok(records.iter().map(|r| views::member(r, users.get(&r.user_id))).collect())
    }

    /// The checks shared by granting and taking one role: 10007/10013 for the member, 10011
    /// for a role that is not in the guild (@everyone included: nobody holds it explicitly),
    /// then MANAGE_ROLES and [`check_role_change`].
    async fn role_grant_target(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        role_id: Id<RoleMarker>,
    ) -> Result<(GuildAccess, MemberRecord, User)> {
        let access = self.guild_access(actor, guild_id).await?;
        let (record, user) = self.target_member(guild_id, user_id).await?;
        let role = assignable_role(&access, role_id)?;
        access.require(Permissions::MANAGE_ROLES)?;
        check_role_change(&access, role)?;
        Ok((access, record, user))
    }
}

/// A role of the guild that can be held explicitly: 10011 for unknown ids and @everyone.
fn assignable_role(access: &GuildAccess, role_id: Id<RoleMarker>) -> Result<&Role> {
    let everyone: Id<RoleMarker> = access.guild_id().cast();
    access.role(role_id).filter(|r| r.id != everyone).ok_or_else(|| Error::code(Code::UnknownRole))
}

/// 50013 unless the actor may give or take `role`: never a managed role (bots' and
/// integrations' roles are assigned by Discord itself), and only roles below the actor's
/// highest unless it owns the guild.
fn check_role_change(access: &GuildAccess, role: &Role) -> Result<()> {
    if role.managed || !hierarchy::can_manage_role(&access.hierarchy(), role) {
        return Err(Error::code(Code::MissingPermissions));
    }
    Ok(())
}

/// A PATCH `nick`: `null` and `""` clear it (clients use both), anything else is 1–32 chars.
fn nick_change(nick: Option<Nullable<String>>, errors: &mut FormErrors) -> Option<Option<String>> {
    match nick? {
        Nullable::Null => Some(None),
        Nullable::Value(nick) if nick.is_empty() => Some(None),
        Nullable::Value(nick) => {
            errors.check(limits::validate_nickname(&nick));
            Some(Some(nick))
        }
    }
}

impl Core {
    /// Makes `user` a member of `guild_id` (already checked: not banned, allowed in), then tells
    /// them (GUILD_CREATE to their sessions) and the guild (GUILD_MEMBER_ADD, and PRESENCE_UPDATE
    /// when they are online). Returns whether
    /// they were new: a concurrent join by the same user adds them once.
    pub(crate) async fn join_guild(&self, guild_id: Id<GuildMarker>, user: &User) -> Result<bool> {
        let member = MemberRecord::new(guild_id, user.id, self.now());
        match self.store().add_member(&member).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let payload = self.guild_create_payload(guild_id, user.id, GuildCreateOptions::default()).await?;
        self.publish(Event::users("GUILD_CREATE", vec![user.id], Intents::GUILDS, to_json(&payload)?)).await;
        let mut data = to_json(&views::member(&member, Some(user)))?;
        if let Some(map) = data.as_object_mut() {
            map.insert("guild_id".to_owned(), serde_json::json!(guild_id));
        }
        self.publish(Event::guild("GUILD_MEMBER_ADD", guild_id, None, Intents::GUILD_MEMBERS, data)).await;
        // Members already there learn the newcomer's status now, not at their next change.
        let visible = self.presences.visible(user.id);
        if visible.is_online() {
            let data =
                serde_json::to_value(visible.render(user.id, Some(guild_id))).map_err(|e| Error::internal(&e))?;
            self.publish(Event::guild("PRESENCE_UPDATE", guild_id, None, Intents::GUILD_PRESENCES, data)).await;
        }
        Ok(true)
    }
}
