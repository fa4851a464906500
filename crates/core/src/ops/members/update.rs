//! `PATCH /guilds/{guild_id}/members/{user_id}` and `PATCH /guilds/{guild_id}/members/@me`
//! (protocol.md §3.4; GUILD_MEMBER_UPDATE §2.1).
//!
//! Each field needs its own permission. Which ones also need the actor to outrank the target
//! follows Discord: renaming and timing out another member do (hierarchy, owner exempt);
//! roles only need each added or removed role to rank below the actor; server mute and deafen
//! ignore the hierarchy, as they do on Discord.
//!
//! Voice moderation (`mute`, `deaf`, `channel_id`) needs the member to be connected to voice:
//! otherwise 40032 Target user is not connected to voice, after the permission check, as
//! Discord answers. Mute and deafen are stored on the member and enforced by the voice server at
//! once; a move needs CONNECT in the target channel and hands the member a new voice token;
//! `channel_id: null` disconnects (nothing to do when not connected).

use guildhall_model::flags::{MemberFlags, Permissions};
use guildhall_model::guild::Member;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Id, Nullable, Timestamp};
use serde::Deserialize;

use super::{assignable_role, check_role_change, nick_change};
use crate::hierarchy;
use crate::limits::{FormError, FormErrors, PathSegment, TIMEOUT_MAX_SECS};
use crate::ops::{Actor, Code, Core, Error, GuildAccess, Result, views};
use crate::permissions;

/// `PATCH /guilds/{guild_id}/members/{user_id}`. Every field is optional and nullable.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateMember {
    /// MANAGE_NICKNAMES (CHANGE_NICKNAME for oneself); `null` or `""` clears it.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub nick: Option<Nullable<String>>,
    /// The complete new role list (MANAGE_ROLES); `null` means none.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub roles: Option<Nullable<Vec<Id<RoleMarker>>>>,
    /// Server mute (MUTE_MEMBERS).
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub mute: Option<Nullable<bool>>,
    /// Server deafen (DEAFEN_MEMBERS).
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub deaf: Option<Nullable<bool>>,
    /// Voice channel to move the member to, `null` to disconnect (MOVE_MEMBERS).
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub channel_id: Option<Nullable<Id<ChannelMarker>>>,
    /// Timeout end, at most 28 days ahead (MODERATE_MEMBERS); `null` lifts it.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub communication_disabled_until: Option<Nullable<Timestamp>>,
    /// Member flags; only BYPASSES_VERIFICATION can be set.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub flags: Option<Nullable<MemberFlags>>,
}

/// `PATCH /guilds/{guild_id}/members/@me`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateCurrentMember {
    /// CHANGE_NICKNAME; `null` or `""` clears it.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub nick: Option<Nullable<String>>,
}

/// The one member flag a moderator may set.
const EDITABLE_MEMBER_FLAGS: MemberFlags = MemberFlags::BYPASSES_VERIFICATION;

/// Who may edit member flags: any of these alone, or all of [`FLAGS_MODERATOR`].
const FLAGS_MANAGER: Permissions = Permissions::MANAGE_GUILD.union(Permissions::MANAGE_ROLES);
const FLAGS_MODERATOR: Permissions =
    Permissions::MODERATE_MEMBERS.union(Permissions::KICK_MEMBERS).union(Permissions::BAN_MEMBERS);

fn missing_permissions() -> Error {
    Error::code(Code::MissingPermissions)
}

impl Core {
    /// `PATCH /guilds/{guild_id}/members/{user_id}`: 200 with the member; GUILD_MEMBER_UPDATE
    /// when something changed.
    pub async fn update_member(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        user_id: Id<UserMarker>,
        request: UpdateMember,
    ) -> Result<Member> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        let nick = nick_change(request.nick, &mut errors);
        if let Some(Nullable::Value(until)) = request.communication_disabled_until {
            let latest = self.now().as_micros().saturating_add(secs_to_micros(TIMEOUT_MAX_SECS));
            if until.as_micros() > latest {
                errors.push(FormError::new(
                    vec![PathSegment::field("communication_disabled_until")],
                    "INVALID_COMMUNICATION_DISABLED_TIMESTAMP",
                    "Invalid communication disabled timestamp",
                ));
            }
        }
        errors.into_result()?;

        let access = self.guild_access(actor, guild_id).await?;
        let (mut record, user) = self.target_member(guild_id, user_id).await?;
        let original = record.clone();
        let is_self = user_id == actor.id();
        // False for oneself and for the owner as target; true for the owner acting on others.
        let outranks = hierarchy::can_moderate_member(&access.hierarchy(), &record.roles, user_id);

        if let Some(nick) = nick {
            if is_self {
                access.require(Permissions::CHANGE_NICKNAME)?;
            } else {
                access.require(Permissions::MANAGE_NICKNAMES)?;
                if !outranks {
                    return Err(missing_permissions());
                }
            }
            record.nick = nick;
        }
        if let Some(roles) = request.roles {
            access.require(Permissions::MANAGE_ROLES)?;
            record.roles = checked_roles(&access, &record.roles, roles.into_option().unwrap_or_default())?;
        }
        // Discord: "will throw a 400 error if the user is not in a voice channel".
        let in_voice = self.voice_state_of(guild_id, user_id).is_some();
        if let Some(mute) = request.mute {
            access.require(Permissions::MUTE_MEMBERS)?;
            record.mute = mute.into_option().unwrap_or(false);
        }
        if let Some(deaf) = request.deaf {
            access.require(Permissions::DEAFEN_MEMBERS)?;
            record.deaf = deaf.into_option().unwrap_or(false);
        }
        if (request.mute.is_some() || request.deaf.is_some()) && !in_voice {
            return Err(Error::code(Code::TargetNotInVoice));
        }
        let mut voice_move = None;
        if let Some(channel) = request.channel_id {
            access.require(Permissions::MOVE_MEMBERS)?;
            voice_move = Some(match channel {
                Nullable::Value(_) if !in_voice => return Err(Error::code(Code::TargetNotInVoice)),
                Nullable::Value(id) => Some(self.connectable_channel(&access, id).await?.0),
                Nullable::Null => None,
            });
        }
        if let Some(until) = request.communication_disabled_until {
            access.require(Permissions::MODERATE_MEMBERS)?;
            if !outranks {
                return Err(missing_permissions());
            }
            let until = until.into_option();
            // Owners and administrators cannot be timed out (they would be exempt anyway).
            let target_permissions = permissions::guild_permissions(&access.context_for(&record));
            if until.is_some() && target_permissions.contains(Permissions::ADMINISTRATOR) {
                return Err(missing_permissions());
            }
            record.communication_disabled_until = until;
        }
        if let Some(flags) = request.flags {
            let held = access.permissions;
            if !held.intersects(FLAGS_MANAGER) && !held.contains(FLAGS_MODERATOR) {
                return Err(missing_permissions());
            }
            let wanted = flags.into_option().unwrap_or_default() & EDITABLE_MEMBER_FLAGS;
            record.flags = record.flags.difference(EDITABLE_MEMBER_FLAGS) | wanted;
        }

        if record != original {
            self.store().update_member(&record).await?;
            self.publish_member_update(guild_id, &record, &user).await?;
        }
        let voice_flags_changed = (record.mute, record.deaf) != (original.mute, original.deaf);
        if in_voice && (voice_flags_changed || voice_move.is_some()) {
            self.moderate_voice(guild_id, &record, &user, voice_move).await?;
        }
        Ok(views::member(&record, Some(&user)))
    }

    /// `PATCH /guilds/{guild_id}/members/@me`: the actor's own nickname (CHANGE_NICKNAME).
    pub async fn update_current_member(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        request: UpdateCurrentMember,
    ) -> Result<Member> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        let nick = nick_change(request.nick, &mut errors);
        errors.into_result()?;
        let access = self.guild_access(actor, guild_id).await?;
        let mut record = access.member.clone();
        if let Some(nick) = nick {
            access.require(Permissions::CHANGE_NICKNAME)?;
            if record.nick != nick {
                record.nick = nick;
                self.store().update_member(&record).await?;
                self.publish_member_update(guild_id, &record, &actor.user).await?;
            }
        }
        Ok(views::member(&record, Some(&actor.user)))
    }
}

fn secs_to_micros(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1_000_000)
}

/// The new role list of a PATCH: every id must be a role of the guild other than @everyone
/// (10011), and every role added or removed must be one the actor may manage (50013).
fn checked_roles(
    access: &GuildAccess,
    current: &[Id<RoleMarker>],
    requested: Vec<Id<RoleMarker>>,
) -> Result<Vec<Id<RoleMarker>>> {
    let mut roles: Vec<Id<RoleMarker>> = Vec::with_capacity(requested.len());
    for id in requested {
        assignable_role(access, id)?;
        if !roles.contains(&id) {
            roles.push(id);
        }
    }
    let added = roles.iter().filter(|id| !current.contains(id));
    let removed = current.iter().filter(|id| !roles.contains(id));
    for id in added.chain(removed) {
        // A stale id the guild no longer has can be dropped by anyone allowed to edit roles.
        if let Some(role) = access.role(*id) {
            check_role_change(access, role)?;
        }
    }
    Ok(roles)
}
