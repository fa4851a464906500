//! Loading what an authorization decision needs, and making it (protocol.md §4).
//!
//! Discord's answers: a guild the actor is not in is 10004 Unknown Guild for guild routes; a
//! channel in such a guild, or one the actor cannot view, is 50001 Missing Access; a missing
//! permission the actor could otherwise see is 50013 Missing Permissions.

use guildhall_model::channel::Channel;
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Id, Permissions};
use guildhall_store::MemberRecord;

use super::{Actor, Code, Core, Error, Result};
use crate::hierarchy::HierarchyActor;
use crate::permissions::{self, MemberPermissionContext};

/// The actor as a member of one guild, with the guild's roles.
#[derive(Clone, Debug)]
pub struct GuildAccess {
    /// The guild.
    pub guild: Guild,
    /// Every role of the guild (@everyone included).
    pub roles: Vec<Role>,
    /// The actor's membership.
    pub member: MemberRecord,
    /// The actor's guild-level permissions.
    pub permissions: Permissions,
    now: guildhall_model::Timestamp,
}

impl GuildAccess {
    /// The guild id.
    pub fn guild_id(&self) -> Id<GuildMarker> {
        self.guild.id
    }

    /// Whether the actor owns the guild.
    pub fn is_owner(&self) -> bool {
        self.guild.owner_id == self.member.user_id
    }

    /// The permission context of the actor (for channel computations).
    pub fn context(&self) -> MemberPermissionContext<'_> {
        self.context_for(&self.member)
    }

    /// The permission context of any member of this guild.
    pub fn context_for<'a>(&'a self, member: &'a MemberRecord) -> MemberPermissionContext<'a> {
        MemberPermissionContext {
            guild_id: self.guild.id,
            owner_id: self.guild.owner_id,
            user_id: member.user_id,
            member_roles: &member.roles,
            guild_roles: &self.roles,
            communication_disabled_until: member.communication_disabled_until,
            now: self.now,
        }
    }

    /// The actor for hierarchy checks.
    pub fn hierarchy(&self) -> HierarchyActor<'_> {
        HierarchyActor {
            guild_id: self.guild.id,
            owner_id: self.guild.owner_id,
            user_id: self.member.user_id,
            roles: &self.member.roles,
            guild_roles: &self.roles,
        }
    }

    /// 50013 unless the actor holds every bit of `needed` guild-wide.
    pub fn require(&self, needed: Permissions) -> Result<()> {
        if self.permissions.contains(needed) { Ok(()) } else { Err(Error::code(Code::MissingPermissions)) }
    }

    /// The actor's permissions in `channel` (a channel of this guild).
    pub fn channel_permissions(&self, channel: &Channel, parent: Option<&Channel>) -> Permissions {
        permissions::channel_permissions(&self.context(), channel, parent)
    }

    /// A role of this guild.
    pub fn role(&self, id: Id<RoleMarker>) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }
}

/// The actor's view of one channel.
#[derive(Clone, Debug)]
pub struct ChannelAccess {
    /// The channel.
    pub channel: Channel,
    /// The thread's parent channel, for threads.
    pub parent: Option<Channel>,
    /// The guild context, for guild channels (`None` for DMs).
    pub guild: Option<GuildAccess>,
    /// The actor's permissions in the channel.
    pub permissions: Permissions,
}

impl ChannelAccess {
    /// 50013 unless the actor holds every bit of `needed` in this channel.
    pub fn require(&self, needed: Permissions) -> Result<()> {
        if self.permissions.contains(needed) { Ok(()) } else { Err(Error::code(Code::MissingPermissions)) }
    }

    /// The channel's guild id.
    pub fn guild_id(&self) -> Option<Id<GuildMarker>> {
        self.guild.as_ref().map(GuildAccess::guild_id)
    }

    /// The guild context, or 50024 for a DM (guild-only actions).
    pub fn guild(&self) -> Result<&GuildAccess> {
        self.guild.as_ref().ok_or_else(|| Error::code(Code::WrongChannelType))
    }
}

/// What a DM recipient may do in the DM.
pub const DM_PERMISSIONS: Permissions = Permissions::VIEW_CHANNEL
    .union(Permissions::SEND_MESSAGES)
    .union(Permissions::SEND_TTS_MESSAGES)
    .union(Permissions::EMBED_LINKS)
    .union(Permissions::ATTACH_FILES)
    .union(Permissions::READ_MESSAGE_HISTORY)
    .union(Permissions::ADD_REACTIONS)
    .union(Permissions::USE_EXTERNAL_EMOJIS)
    .union(Permissions::PIN_MESSAGES);

impl Core {
    /// The actor's membership of `guild_id`: 10004 if the guild does not exist or the actor is
    /// not a member (Discord does not reveal which).
    pub async fn guild_access(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<GuildAccess> {
        self.guild_access_for(actor.id(), guild_id).await
    }

    /// Like [`Core::guild_access`] for any user id.
    pub async fn guild_access_for(&self, user: Id<UserMarker>, guild_id: Id<GuildMarker>) -> Result<GuildAccess> {
        let store = self.store();
        let (guild, member) = tokio::try_join!(store.guild(guild_id), store.member(guild_id, user))?;
        let (Some(guild), Some(member)) = (guild, member) else {
            return Err(Error::code(Code::UnknownGuild));
        };
        let roles = store.guild_roles(guild_id).await?;
        let now = self.now();
        let mut access = GuildAccess { guild, roles, member, permissions: Permissions::empty(), now };
        access.permissions = permissions::guild_permissions(&access.context());
        Ok(access)
    }

    /// The actor's view of `channel_id`: 10003 if it does not exist; 50001 if the actor is not
    /// in its guild, not a DM recipient, or cannot view it.
    pub async fn channel_access(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<ChannelAccess> {
        let channel = self.store().channel(channel_id).await?.ok_or_else(|| Error::code(Code::UnknownChannel))?;
        self.channel_access_in(actor, channel).await
    }

    /// [`Core::channel_access`] for a channel already loaded.
    pub async fn channel_access_in(&self, actor: &Actor, channel: Channel) -> Result<ChannelAccess> {
        let Some(guild_id) = channel.guild_id else {
            let recipient = channel.recipients.as_ref().is_some_and(|users| users.iter().any(|u| u.id == actor.id()));
            if !recipient {
                return Err(Error::code(Code::MissingAccess));
            }
            return Ok(ChannelAccess { channel, parent: None, guild: None, permissions: DM_PERMISSIONS });
        };
        let guild = match self.guild_access(actor, guild_id).await {
            Ok(guild) => guild,
            Err(e) if e.is(Code::UnknownGuild) => return Err(Error::code(Code::MissingAccess)),
            Err(e) => return Err(e),
        };
        let parent = match (channel.kind.is_thread(), channel.parent()) {
            (true, Some(parent_id)) => self.store().channel(parent_id).await?,
            _ => None,
        };
        let permissions = guild.channel_permissions(&channel, parent.as_ref());
        if !permissions.contains(Permissions::VIEW_CHANNEL) {
            return Err(Error::code(Code::MissingAccess));
        }
        Ok(ChannelAccess { channel, parent, guild: Some(guild), permissions })
    }
}
