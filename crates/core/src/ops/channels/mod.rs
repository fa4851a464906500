//! Guild channels and the channel routes: list, create, reorder, read, modify, delete, and
//! permission overwrites (protocol.md §3.4 "Channels", §3.6 "Channel", §4 for the rules on
//! overwrites, §2.1 for the events).
//!
//! Audiences of the events: CHANNEL_CREATE and CHANNEL_UPDATE go to the members who can view
//! the channel after the change (a guild event scoped to the channel). When a change touches the
//! overwrites, who can view it is computed for every member before and after: members who lose
//! sight of the channel get CHANNEL_DELETE, members who gain it get CHANNEL_CREATE, the rest
//! CHANNEL_UPDATE, as Discord keeps each client's channel list equal to what it may see.
//! CHANNEL_DELETE of a deleted channel goes to those who could view it (computed before the
//! delete, since afterwards there is nothing left to compute visibility from).
//!
//! Changes to roles that alter visibility (a role losing VIEW_CHANNEL) do not produce channel
//! events; clients recompute from GUILD_ROLE_UPDATE.

mod create;
mod overwrites;
mod settings;
mod update;

use std::collections::HashSet;

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_model::{Id, Nullable};

pub use create::ChannelPosition;
pub use overwrites::EditOverwrite;
pub use settings::{
    AUTO_ARCHIVE_DURATIONS, CATEGORY_CHILDREN_MAX, CREATABLE_KINDS, ChannelSettings, OverwriteRequest, voice_regions,
};
pub(crate) use settings::{apply_settings, check_creatable_kind, normalize_name, sort_group};

use super::guilds::to_json;
use super::users::dm_view;
use super::{Actor, Core, GuildAccess, Result};

/// The members of the guild who can view `channel` (a non-thread guild channel) as the guild
/// stands in `access`.
fn viewers(
    access: &GuildAccess,
    members: &[guildhall_store::MemberRecord],
    channel: &Channel,
) -> HashSet<Id<UserMarker>> {
    members
        .iter()
        .filter(|m| {
            crate::permissions::channel_permissions(&access.context_for(m), channel, None)
                .contains(Permissions::VIEW_CHANNEL)
        })
        .map(|m| m.user_id)
        .collect()
}

fn sorted(set: HashSet<Id<UserMarker>>) -> Vec<Id<UserMarker>> {
    let mut users: Vec<_> = set.into_iter().collect();
    users.sort();
    users
}

impl Core {
    /// `GET /guilds/{id}/channels`: the guild's channels the actor can view, threads excluded.
    pub async fn guild_channels(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<Vec<Channel>> {
        let access = self.guild_access(actor, guild_id).await?;
        let channels = self.store().guild_channels(guild_id).await?;
        Ok(channels
            .into_iter()
            .filter(|c| !c.kind.is_thread())
            .filter(|c| access.channel_permissions(c, None).contains(Permissions::VIEW_CHANNEL))
            .collect())
    }

    /// `GET /channels/{id}`: a guild channel the actor can view, or a DM the actor is in.
    pub async fn channel(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        Ok(match access.guild {
            Some(_) => access.channel,
            None => dm_view(access.channel, actor.id()),
        })
    }

    /// CHANNEL_CREATE / CHANNEL_UPDATE to the members who can view `channel`.
    pub(crate) async fn publish_channel(&self, name: &'static str, channel: &Channel) -> Result<()> {
        let Some(guild_id) = channel.guild_id else { return Ok(()) };
        let data = to_json(channel)?;
        self.publish(Event::guild(name, guild_id, Some(channel.id), Intents::GUILDS, data)).await;
        Ok(())
    }

    /// The events for a modified guild channel: CHANNEL_UPDATE, plus CHANNEL_DELETE/CREATE for
    /// members whose view of it changed when its overwrites did.
    pub(crate) async fn publish_channel_change(
        &self,
        access: &GuildAccess,
        before: &Channel,
        after: &Channel,
    ) -> Result<()> {
        if before.overwrites() == after.overwrites() {
            return self.publish_channel("CHANNEL_UPDATE", after).await;
        }
        let members = self.guild_members(access.guild_id()).await?;
        let (old, new) = (viewers(access, &members, before), viewers(access, &members, after));
        let lost: HashSet<_> = old.difference(&new).copied().collect();
        let gained: HashSet<_> = new.difference(&old).copied().collect();
        let kept: HashSet<_> = new.intersection(&old).copied().collect();
        let data = to_json(after)?;
        for (name, users) in [("CHANNEL_DELETE", lost), ("CHANNEL_CREATE", gained), ("CHANNEL_UPDATE", kept)] {
            if !users.is_empty() {
                self.publish(Event::users(name, sorted(users), Intents::GUILDS, data.clone())).await;
            }
        }
        Ok(())
    }

    /// `DELETE /channels/{id}`: returns the deleted channel.
    ///
    /// Guild channels need MANAGE_CHANNELS (threads MANAGE_THREADS, firing THREAD_DELETE).
    /// Deleting a category moves its children out of it (CHANNEL_UPDATE each); deleting a
    /// channel the guild points at (system, AFK, rules, updates, safety alerts) clears the
    /// pointer (GUILD_UPDATE). A DM is "closed": it stays stored and is returned.
    pub async fn delete_channel(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<Channel> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let access = self.channel_access(actor, channel_id).await?;
        let Some(guild) = &access.guild else {
            return Ok(dm_view(access.channel, actor.id()));
        };
        let channel = access.channel.clone();
        let guild_id = guild.guild_id();
        if channel.kind.is_thread() {
            access.require(Permissions::MANAGE_THREADS)?;
            self.store().delete_channel(channel_id).await?;
            let data = serde_json::json!({
                "id": channel.id, "guild_id": guild_id, "parent_id": channel.parent(), "type": channel.kind,
            });
            self.publish(Event::guild("THREAD_DELETE", guild_id, channel.parent(), Intents::GUILDS, data)).await;
            return Ok(channel);
        }
        access.require(Permissions::MANAGE_CHANNELS)?;

        let members = self.guild_members(guild_id).await?;
        let audience = sorted(viewers(guild, &members, &channel));
        let mut moved = Vec::new();
        if channel.kind == ChannelType::GuildCategory {
            for mut child in self.store().guild_channels(guild_id).await? {
                if child.parent() == Some(channel_id) && !child.kind.is_thread() {
                    child.parent_id = Some(Nullable::Null);
                    self.store().update_channel(&child).await?;
                    moved.push(child);
                }
            }
        }
        self.store().delete_channel(channel_id).await?;
        if channel.kind.is_voice() {
            self.drop_channel_voice(channel_id).await?;
        }

        let mut settings = guild.guild.clone();
        let mut pointed = false;
        for slot in [
            &mut settings.system_channel_id,
            &mut settings.afk_channel_id,
            &mut settings.rules_channel_id,
            &mut settings.public_updates_channel_id,
            &mut settings.safety_alerts_channel_id,
        ] {
            if *slot == Some(channel_id) {
                *slot = None;
                pointed = true;
            }
        }
        if pointed {
            self.store().update_guild(&settings).await?;
        }

        for child in &moved {
            self.publish_channel("CHANNEL_UPDATE", child).await?;
        }
        self.publish(Event::users("CHANNEL_DELETE", audience, Intents::GUILDS, to_json(&channel)?)).await;
        if pointed {
            let rendered = super::guilds::render_guild(settings, guild.roles.clone());
            self.publish_guild_update(&rendered).await?;
        }
        Ok(channel)
    }
}
