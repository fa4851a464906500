//! Roles: list, read, create, reorder, modify, delete (protocol.md §3.4 "Guilds" roles rows,
//! §3.6 "Role", §4 "Hierarchy", events §2.1).
//!
//! Managing roles needs MANAGE_ROLES plus the hierarchy ([`crate::hierarchy`]): only roles
//! below the actor's highest role (the owner bypasses), and only permissions the actor holds
//! (owner and administrators hold all). A new role goes to position 1; roles sharing a
//! position rank by id, so it lands at the bottom, above @everyone, without moving any other
//! role. Events go to every member with the GUILDS intent.

use guildhall_bus::Event;
use guildhall_model::flags::{Intents, Permissions, RoleFlags};
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{GuildMarker, RoleMarker};
use guildhall_model::{Id, Nullable};
use serde::Deserialize;

use super::guilds::to_json;
use super::views::image_hash;
use super::{Actor, Code, Core, Error, GuildAccess, Result};
use crate::hierarchy::{can_grant_permissions, can_manage_role, can_move_role, guild_role_order};
use crate::limits::{self, FormError, FormErrors, PathSegment};

/// Largest colour value (24-bit RGB).
pub const COLOR_MAX: u32 = 0xFF_FFFF;
/// `unicode_emoji`, longest.
pub const UNICODE_EMOJI_MAX: usize = 100;

/// The `colors` object of a role request.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct RoleColorsRequest {
    pub primary_color: Option<u32>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub secondary_color: Option<Nullable<u32>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub tertiary_color: Option<Nullable<u32>>,
}

/// `POST /guilds/{id}/roles` and `PATCH /guilds/{id}/roles/{role_id}`. A `null` for a field that
/// cannot be empty leaves it as it is (or at its default on create).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RoleRequest {
    pub name: Option<String>,
    pub permissions: Option<Permissions>,
    pub color: Option<u32>,
    pub colors: Option<RoleColorsRequest>,
    pub hoist: Option<bool>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub icon: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub unicode_emoji: Option<Nullable<String>>,
    pub mentionable: Option<bool>,
}

/// One entry of `PATCH /guilds/{id}/roles`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct RolePosition {
    pub id: Id<RoleMarker>,
    pub position: Option<i64>,
}

/// A role as Discord sends it: `icon` and `unicode_emoji` keys always present.
pub fn render_role(mut role: Role) -> Role {
    role.icon.get_or_insert(Nullable::Null);
    role.unicode_emoji.get_or_insert(Nullable::Null);
    role
}

fn check_color(errors: &mut FormErrors, path: &[PathSegment], value: u32) {
    errors.check(limits::validate_range(path, value, 0, COLOR_MAX));
}

/// Validates `request` and applies it to `role`.
fn apply(role: &mut Role, request: &RoleRequest, errors: &mut FormErrors) {
    if let Some(name) = &request.name {
        errors.check(limits::validate_role_name(name));
        role.name = name.clone();
    }
    if let Some(permissions) = request.permissions {
        role.permissions = permissions;
    }
    if let Some(color) = request.color {
        check_color(errors, &[PathSegment::field("color")], color);
        role.colors.primary_color = color;
    }
    if let Some(colors) = request.colors {
        let at = |field| [PathSegment::field("colors"), PathSegment::field(field)];
        if let Some(primary) = colors.primary_color {
            check_color(errors, &at("primary_color"), primary);
            role.colors.primary_color = primary;
        }
        if let Some(secondary) = colors.secondary_color {
            if let Nullable::Value(v) = secondary {
                check_color(errors, &at("secondary_color"), v);
            }
            role.colors.secondary_color = secondary.into_option();
        }
        if let Some(tertiary) = colors.tertiary_color {
            if let Nullable::Value(v) = tertiary {
                check_color(errors, &at("tertiary_color"), v);
            }
            role.colors.tertiary_color = tertiary.into_option();
        }
    }
    role.color = role.colors.primary_color;
    if let Some(hoist) = request.hoist {
        role.hoist = hoist;
    }
    if let Some(mentionable) = request.mentionable {
        role.mentionable = mentionable;
    }
    match &request.icon {
        Some(Nullable::Value(uri)) => match image_hash("icon", uri) {
            Ok(hash) => role.icon = Some(Nullable::Value(hash)),
            Err(e) => errors.push(e),
        },
        Some(Nullable::Null) => role.icon = Some(Nullable::Null),
        None => {}
    }
    match &request.unicode_emoji {
        Some(Nullable::Value(emoji)) => {
            errors.check(limits::validate_length(&[PathSegment::field("unicode_emoji")], emoji, 0, UNICODE_EMOJI_MAX));
            role.unicode_emoji = Some(Nullable::Value(emoji.clone()));
        }
        Some(Nullable::Null) => role.unicode_emoji = Some(Nullable::Null),
        None => {}
    }
}

/// 50013 unless the actor may grant `permissions` on a role that had `old` (only the bits that
/// change count, so renaming a role that holds more than the actor still works).
fn authorize_permissions(access: &GuildAccess, old: Permissions, new: Permissions) -> Result<()> {
    if can_grant_permissions(access.permissions, old ^ new, access.is_owner()) {
        Ok(())
    } else {
        Err(Error::code(Code::MissingPermissions))
    }
}

impl Core {
    /// A role of the guild, or 10011.
    fn find_role(access: &GuildAccess, role_id: Id<RoleMarker>) -> Result<Role> {
        access.role(role_id).cloned().ok_or_else(|| Error::code(Code::UnknownRole))
    }

    async fn publish_role(&self, name: &'static str, guild_id: Id<GuildMarker>, role: &Role) -> Result<()> {
        let data = serde_json::json!({ "guild_id": guild_id, "role": to_json(role)? });
        self.publish(Event::guild(name, guild_id, None, Intents::GUILDS, data)).await;
        Ok(())
    }

    /// `GET /guilds/{id}/roles`, lowest first.
    pub async fn roles(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<Vec<Role>> {
        let access = self.guild_access(actor, guild_id).await?;
        let mut roles = access.roles;
        roles.sort_by(|a, b| guild_role_order(guild_id, a, b));
        Ok(roles.into_iter().map(render_role).collect())
    }

    /// `GET /guilds/{id}/roles/member-counts`: how many members hold each role (every role but
    /// @everyone is listed, zero included).
    pub async fn role_member_counts(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
    ) -> Result<std::collections::BTreeMap<Id<RoleMarker>, u64>> {
        let access = self.guild_access(actor, guild_id).await?;
        let mut counts: std::collections::BTreeMap<Id<RoleMarker>, u64> =
            access.roles.iter().filter(|r| r.id != guild_id.cast()).map(|r| (r.id, 0)).collect();
        let mut after = None;
        loop {
            let page = self.store().members(guild_id, after, 1000).await?;
            for member in &page {
                for role in &member.roles {
                    if let Some(count) = counts.get_mut(role) {
                        *count += 1;
                    }
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.user_id),
                _ => break,
            }
        }
        Ok(counts)
    }

    /// `GET /guilds/{id}/roles/{role_id}`.
    pub async fn role(&self, actor: &Actor, guild_id: Id<GuildMarker>, role_id: Id<RoleMarker>) -> Result<Role> {
        let access = self.guild_access(actor, guild_id).await?;
        Self::find_role(&access, role_id).map(render_role)
    }

    /// `POST /guilds/{id}/roles`: MANAGE_ROLES; `permissions` default to @everyone's and may
    /// only hold bits the actor holds; at most [`limits::ROLES_MAX`] roles (30005). Fires
    /// GUILD_ROLE_CREATE.
    pub async fn create_role(&self, actor: &Actor, guild_id: Id<GuildMarker>, request: RoleRequest) -> Result<Role> {
        let _guard = self.lock(guild_id.get()).await;
        let mut role = Role::everyone(guild_id, Permissions::empty());
        role.id = self.next_id();
        role.name = "new role".to_owned();
        role.position = 1;
        role.icon = Some(Nullable::Null);
        role.unicode_emoji = Some(Nullable::Null);
        role.flags = RoleFlags::empty();
        let mut errors = FormErrors::new();
        apply(&mut role, &request, &mut errors);
        errors.into_result()?;

        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_ROLES)?;
        if request.permissions.is_none() {
            role.permissions =
                access.role(guild_id.cast()).map_or(Permissions::empty(), |everyone| everyone.permissions);
        } else {
            authorize_permissions(&access, Permissions::empty(), role.permissions)?;
        }
        if access.roles.len() >= limits::ROLES_MAX {
            return Err(Error::code(Code::MaxRoles));
        }
        self.store().create_role(guild_id, &role).await?;
        self.publish_role("GUILD_ROLE_CREATE", guild_id, &role).await?;
        Ok(role)
    }

    /// `PATCH /guilds/{id}/roles/{role_id}`: MANAGE_ROLES and a role below the actor's highest
    /// (owner exempt); permission changes only with bits the actor holds. @everyone keeps its
    /// name, colour and placement: only its permissions and mentionability change. Fires
    /// GUILD_ROLE_UPDATE.
    pub async fn update_role(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        role_id: Id<RoleMarker>,
        request: RoleRequest,
    ) -> Result<Role> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        let before = Self::find_role(&access, role_id)?;
        let mut role = before.clone();
        let mut errors = FormErrors::new();
        if role_id == guild_id.cast() {
            let limited = RoleRequest {
                permissions: request.permissions,
                mentionable: request.mentionable,
                ..RoleRequest::default()
            };
            apply(&mut role, &limited, &mut errors);
        } else {
            apply(&mut role, &request, &mut errors);
        }
        errors.into_result()?;
        access.require(Permissions::MANAGE_ROLES)?;
        if !can_manage_role(&access.hierarchy(), &before) {
            return Err(Error::code(Code::MissingPermissions));
        }
        authorize_permissions(&access, before.permissions, role.permissions)?;
        let role = render_role(role);
        self.store().update_role(guild_id, &role).await?;
        self.publish_role("GUILD_ROLE_UPDATE", guild_id, &role).await?;
        Ok(role)
    }

    /// `PATCH /guilds/{id}/roles`: MANAGE_ROLES; each moved role must be below the actor and go
    /// below the actor's highest role (owner exempt); entries that do not move are accepted as
    /// they are, so clients may send the whole list. Returns every role; GUILD_ROLE_UPDATE per
    /// moved role.
    pub async fn update_role_positions(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        request: Vec<RolePosition>,
    ) -> Result<Vec<Role>> {
        let _guard = self.lock(guild_id.get()).await;
        limits::validate_positions(request.iter().map(|entry| entry.position))?;
        let mut errors = FormErrors::new();
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_ROLES)?;
        let mut moves: Vec<(Id<RoleMarker>, i32)> = Vec::new();
        for (index, entry) in request.iter().enumerate() {
            let Some(role) = access.role(entry.id) else {
                errors.push(FormError::new(
                    vec![PathSegment::Index(index), PathSegment::field("id")],
                    "UNKNOWN_ROLE",
                    "Unknown role.",
                ));
                continue;
            };
            let Some(position) = entry.position.map(|p| i32::try_from(p).unwrap_or(i32::MAX)) else { continue };
            if position == role.position {
                continue;
            }
            if !can_move_role(&access.hierarchy(), role, position) {
                return Err(Error::code(Code::MissingPermissions));
            }
            moves.retain(|(id, _)| *id != role.id);
            moves.push((role.id, position));
        }
        errors.into_result()?;
        self.store().set_role_positions(guild_id, &moves).await?;
        let mut roles = access.roles;
        for role in &mut roles {
            if let Some((_, position)) = moves.iter().find(|(id, _)| *id == role.id) {
                role.position = *position;
            }
        }
        roles.sort_by(|a, b| guild_role_order(guild_id, a, b));
        let roles: Vec<Role> = roles.into_iter().map(render_role).collect();
        for role in roles.iter().filter(|r| moves.iter().any(|(id, _)| *id == r.id)) {
            self.publish_role("GUILD_ROLE_UPDATE", guild_id, role).await?;
        }
        Ok(roles)
    }

    /// `DELETE /guilds/{id}/roles/{role_id}`: MANAGE_ROLES and a role below the actor's highest
    /// (owner exempt); @everyone cannot be deleted (50028). Members lose the role. Fires
    /// GUILD_ROLE_DELETE.
    pub async fn delete_role(&self, actor: &Actor, guild_id: Id<GuildMarker>, role_id: Id<RoleMarker>) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        let role = Self::find_role(&access, role_id)?;
        access.require(Permissions::MANAGE_ROLES)?;
        if role_id == guild_id.cast() {
            return Err(Error::code(Code::InvalidRole));
        }
        if !can_manage_role(&access.hierarchy(), &role) {
            return Err(Error::code(Code::MissingPermissions));
        }
        self.store().delete_role(guild_id, role_id).await?;
        let data = serde_json::json!({ "guild_id": guild_id, "role_id": role_id });
        self.publish(Event::guild("GUILD_ROLE_DELETE", guild_id, None, Intents::GUILDS, data)).await;
        Ok(())
    }
}
