//! Permission overwrites: resolving request lists, the rule that an actor may only allow or deny
//! what it holds (protocol.md §4 "Hierarchy", last sentence), and the `PUT`/`DELETE
//! /channels/{id}/permissions/{overwrite_id}` routes.

use guildhall_model::channel::{Channel, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::Permissions;
use guildhall_model::id::Id;
use guildhall_model::id::marker::{ChannelMarker, GenericMarker};
use serde::Deserialize;

use super::super::guilds::check_known;
use super::super::{Actor, ChannelAccess, Code, Core, Error, GuildAccess, Result};
use super::settings::{OverwriteRequest, changed_bits};
use crate::hierarchy::can_grant_permissions;
use crate::limits::{FormError, FormErrors, PathSegment};

/// `PUT /channels/{id}/permissions/{overwrite_id}`. `allow`/`deny` default to none; `type` may
/// be left out when the overwrite exists or the id says what it is.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct EditOverwrite {
    pub allow: Option<Permissions>,
    pub deny: Option<Permissions>,
    #[serde(rename = "type")]
    pub kind: Option<OverwriteType>,
}

/// Whether `overwrite` lists hold the same entries, whatever their order.
fn same_set(a: &[PermissionOverwrite], b: &[PermissionOverwrite]) -> bool {
    a.len() == b.len() && a.iter().all(|o| b.contains(o))
}

/// 50013 unless the actor may replace `old` with `new`: any change needs MANAGE_ROLES among
/// `held`, and the bits a change touches must all be held (owner and administrators exempt).
pub(crate) fn authorize_overwrites(
    access: &GuildAccess,
    held: Permissions,
    old: &[PermissionOverwrite],
    new: &[PermissionOverwrite],
) -> Result<()> {
    if same_set(old, new) {
        return Ok(());
    }
    let admin = access.is_owner() || held.contains(Permissions::ADMINISTRATOR);
    if !admin && !held.contains(Permissions::MANAGE_ROLES) {
        return Err(Error::code(Code::MissingPermissions));
    }
    let changed = changed_bits(old, new);
    // Discord (changelog 2021-01-22): only administrators, or members granted MANAGE_ROLES by an
    // overwrite in this very channel, may put MANAGE_ROLES ("Manage Permissions") into
    // overwrites; a guild-wide MANAGE_ROLES is not enough.
    if changed.contains(Permissions::MANAGE_ROLES) && !admin && !overwrite_grants_manage_roles(access, old) {
        return Err(Error::code(Code::MissingPermissions));
    }
    if can_grant_permissions(held, changed, access.is_owner()) {
        Ok(())
    } else {
        Err(Error::code(Code::MissingPermissions))
    }
}

/// Whether one of `overwrites` that applies to the actor (@everyone, one of its roles, itself)
/// allows MANAGE_ROLES.
fn overwrite_grants_manage_roles(access: &GuildAccess, overwrites: &[PermissionOverwrite]) -> bool {
    let member = &access.member;
    overwrites.iter().any(|o| {
        let applies = match o.kind {
            OverwriteType::Member => o.id.get() == member.user_id.get(),
            _ => o.id.get() == access.guild_id().get() || member.roles.iter().any(|r| r.get() == o.id.get()),
        };
        applies && o.allow.contains(Permissions::MANAGE_ROLES)
    })
}

/// What the actor counts as holding in a channel when editing its overwrites: its guild-wide
/// permissions plus what overwrites give it there.
pub(crate) fn held_in(access: &ChannelAccess) -> Permissions {
    access.permissions | access.guild.as_ref().map_or(Permissions::empty(), |g| g.permissions)
}

impl Core {
    /// What an overwrite id names: `kind` if given, else the existing overwrite's type, else a
    /// role of the guild, else a member. `None` when it names nothing.
    async fn overwrite_target(
        &self,
        access: &GuildAccess,
        existing: &[PermissionOverwrite],
        id: Id<GenericMarker>,
        kind: Option<OverwriteType>,
    ) -> Result<Option<OverwriteType>> {
        let is_role = access.role(id.cast()).is_some();
        let is_member = || async { self.store().member(access.guild_id(), id.cast()).await.map(|m| m.is_some()) };
        Ok(match kind.or_else(|| existing.iter().find(|o| o.id == id).map(|o| o.kind)) {
            Some(OverwriteType::Role) => is_role.then_some(OverwriteType::Role),
            Some(OverwriteType::Member) => is_member().await?.then_some(OverwriteType::Member),
            Some(_) => None,
            None if is_role => Some(OverwriteType::Role),
            None => is_member().await?.then_some(OverwriteType::Member),
        })
    }

    /// The overwrite list a request asks for; each target must be a role or member of the guild
    /// (50035 at `permission_overwrites.N.id` otherwise). A repeated id keeps its last entry.
    pub(crate) async fn resolve_overwrites(
        &self,
        access: &GuildAccess,
        existing: &[PermissionOverwrite],
        requests: &[OverwriteRequest],
        errors: &mut FormErrors,
    ) -> Result<Vec<PermissionOverwrite>> {
        let mut out: Vec<PermissionOverwrite> = Vec::new();
        for (index, request) in requests.iter().enumerate() {
            let prefix = [PathSegment::field("permission_overwrites"), PathSegment::Index(index)];
            if let Some(kind) = request.kind {
                let known = OverwriteType::KNOWN.iter().map(|k| k.value());
                let mut local = FormErrors::new();
                check_known(&mut local, &[PathSegment::field("type")], kind.value(), known);
                errors.extend(local.into_iter().map(|e| e.prefixed(&prefix)));
            }
            match self.overwrite_target(access, existing, request.id, request.kind).await? {
                Some(kind) => {
                    out.retain(|o| o.id != request.id);
                    out.push(PermissionOverwrite {
                        id: request.id,
                        kind,
                        allow: request.allow.unwrap_or_default(),
                        deny: request.deny.unwrap_or_default(),
                    });
                }
                None => {
                    let mut path = prefix.to_vec();
                    path.push(PathSegment::field("id"));
                    errors.push(FormError::new(path, "UNKNOWN_OVERWRITE_TARGET", "Unknown role or member."));
                }
            }
        }
        Ok(out)
    }

    /// A guild channel (not a thread) whose overwrites the actor may see, for the overwrite
    /// routes; 50024 for DMs and threads, which have none of their own.
    async fn overwrite_channel(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<ChannelAccess> {
        let access = self.channel_access(actor, channel_id).await?;
        if access.guild.is_none() || access.channel.kind.is_thread() {
            return Err(Error::code(Code::WrongChannelType));
        }
        Ok(access)
    }

    /// `PUT /channels/{id}/permissions/{overwrite_id}`: MANAGE_ROLES in the channel, and only
    /// bits the actor holds; the role (10011) or member (10007) must exist. Fires CHANNEL_UPDATE.
    pub async fn edit_overwrite(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        overwrite_id: Id<GenericMarker>,
        request: EditOverwrite,
    ) -> Result<()> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let mut errors = FormErrors::new();
        if let Some(kind) = request.kind {
            check_known(
                &mut errors,
                &[PathSegment::field("type")],
                kind.value(),
                OverwriteType::KNOWN.iter().map(|k| k.value()),
            );
        }
        errors.into_result()?;
        let access = self.overwrite_channel(actor, channel_id).await?;
        access.require(Permissions::MANAGE_ROLES)?;
        let guild = access.guild()?;
        let existing = access.channel.overwrites();
        let Some(kind) = self.overwrite_target(guild, existing, overwrite_id, request.kind).await? else {
            return Err(match request.kind.or_else(|| guild.role(overwrite_id.cast()).map(|_| OverwriteType::Role)) {
                Some(OverwriteType::Role) => Error::code(Code::UnknownRole),
                Some(OverwriteType::Member) => Error::code(Code::UnknownMember),
                _ => Error::field(FormError::required(&[PathSegment::field("type")])),
            });
        };
        let overwrite = PermissionOverwrite {
            id: overwrite_id,
            kind,
            allow: request.allow.unwrap_or_default(),
            deny: request.deny.unwrap_or_default(),
        };
        let mut after: Channel = access.channel.clone();
        let mut list: Vec<PermissionOverwrite> = existing.iter().filter(|o| o.id != overwrite_id).copied().collect();
        list.push(overwrite);
        authorize_overwrites(guild, held_in(&access), existing, &list)?;
        after.permission_overwrites = Some(list);
        self.store().update_channel(&after).await?;
        self.publish_channel_change(guild, &access.channel, &after).await
    }

    /// `DELETE /channels/{id}/permissions/{overwrite_id}`: MANAGE_ROLES in the channel; 10009
    /// if there is no such overwrite. Fires CHANNEL_UPDATE.
    pub async fn delete_overwrite(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        overwrite_id: Id<GenericMarker>,
    ) -> Result<()> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let access = self.overwrite_channel(actor, channel_id).await?;
        access.require(Permissions::MANAGE_ROLES)?;
        let guild = access.guild()?;
        if !access.channel.overwrites().iter().any(|o| o.id == overwrite_id) {
            return Err(Error::code(Code::UnknownOverwrite));
        }
        let mut after = access.channel.clone();
        let list = access.channel.overwrites().iter().filter(|o| o.id != overwrite_id).copied().collect();
        after.permission_overwrites = Some(list);
        self.store().update_channel(&after).await?;
        self.publish_channel_change(guild, &access.channel, &after).await
    }
}
