//! `POST /guilds/{id}/channels` and `PATCH /guilds/{id}/channels` (positions).

use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker};
use guildhall_model::{Id, Nullable};
use serde::Deserialize;

use super::super::{Actor, Code, Core, Error, Result};
use super::overwrites::authorize_overwrites;
use super::settings::{CATEGORY_CHILDREN_MAX, ChannelSettings, apply_settings, check_creatable_kind, sort_group};
use crate::defaults::guild_channel;
use crate::limits::{self, FormError, FormErrors, PathSegment};

/// One entry of `PATCH /guilds/{id}/channels`.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ChannelPosition {
    pub id: Id<ChannelMarker>,
    pub position: Option<i64>,
    pub lock_permissions: Option<bool>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub parent_id: Option<Nullable<Id<ChannelMarker>>>,
}

/// Checks a requested `parent_id` for a channel of `kind`: a category of the guild with room
/// for one more child (`moving` is the channel itself, already counted if it is a child).
pub(crate) fn check_parent(
    errors: &mut FormErrors,
    path: Vec<PathSegment>,
    kind: ChannelType,
    parent: Id<ChannelMarker>,
    channels: &[Channel],
    moving: Option<Id<ChannelMarker>>,
) -> Option<Channel> {
    let found = channels.iter().find(|c| c.id == parent && c.kind == ChannelType::GuildCategory);
    let Some(category) = found.filter(|_| kind != ChannelType::GuildCategory) else {
        errors.push(FormError::new(path, "CHANNEL_PARENT_INVALID", "Parent must be a category of this guild."));
        return None;
    };
    let children =
        channels.iter().filter(|c| c.parent() == Some(parent) && Some(c.id) != moving && !c.kind.is_thread()).count();
    if children >= CATEGORY_CHILDREN_MAX {
        errors.push(FormError::new(
            path,
            "CHANNEL_PARENT_MAX_CHANNELS",
            format!("Maximum number of channels in category reached ({CATEGORY_CHILDREN_MAX})."),
        ));
        return None;
    }
    Some(category.clone())
}

impl Core {
    /// `POST /guilds/{id}/channels`: MANAGE_CHANNELS (and MANAGE_ROLES with only held bits for
    /// `permission_overwrites`); at most [`limits::CHANNELS_MAX`] channels (30013). Without
    /// overwrites, a channel created in a category copies the category's (it starts synced).
    /// Fires CHANNEL_CREATE.
    pub async fn create_channel(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        request: ChannelSettings,
    ) -> Result<Channel> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        let kind = request.kind.unwrap_or(ChannelType::GuildText);
        check_creatable_kind(&mut errors, &[], kind);
        if request.name.is_none() {
            errors.push(FormError::required(&[PathSegment::field("name")]));
        }
        let mut channel = guild_channel(self.next_id(), guild_id, kind, "", 0);
        apply_settings(&mut channel, &request, &self.voice_servers().regions(), &[], &mut errors);
        std::mem::take(&mut errors).into_result()?;

        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_CHANNELS)?;
        let existing = self.store().guild_channels(guild_id).await?;
        if existing.iter().filter(|c| !c.kind.is_thread()).count() >= limits::CHANNELS_MAX {
            return Err(Error::code(Code::MaxChannels));
        }
        let parent = match request.parent_id {
            Some(Nullable::Value(parent)) => {
                check_parent(&mut errors, vec![PathSegment::field("parent_id")], kind, parent, &existing, None)
            }
            _ => None,
        };
        let overwrites = match &request.permission_overwrites {
            Some(list) => self.resolve_overwrites(&access, &[], list, &mut errors).await?,
            None => parent.as_ref().map(|p| p.overwrites().to_vec()).unwrap_or_default(),
        };
        errors.into_result()?;
        if request.permission_overwrites.is_some() {
            authorize_overwrites(&access, access.permissions, &[], &overwrites)?;
        }

        if let Some(parent) = parent {
            channel.parent_id = Some(Nullable::Value(parent.id));
        }
        channel.permission_overwrites = Some(overwrites);
        if request.position.is_none() {
            // At the end of its group, as a client appending a channel expects.
            let group = sort_group(kind);
            channel.position = Some(
                existing
                    .iter()
                    .filter(|c| !c.kind.is_thread() && sort_group(c.kind) == group)
                    .filter_map(|c| c.position)
                    .max()
                    .map_or(0, |p| p.saturating_add(1)),
            );
        }
        self.store().create_channel(&channel).await?;
        self.publish_channel("CHANNEL_CREATE", &channel).await?;
        Ok(channel)
    }

    /// `PATCH /guilds/{id}/channels`: MANAGE_CHANNELS; moves channels (`position`), into or
    /// out of categories (`parent_id`), optionally syncing a moved channel's overwrites with its
    /// new category (`lock_permissions`). Fires CHANNEL_UPDATE for each channel that changed.
    pub async fn update_channel_positions(
        &self,
        actor: &Actor,
        guild_id: Id<GuildMarker>,
        request: Vec<ChannelPosition>,
    ) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        limits::validate_positions(request.iter().map(|entry| entry.position))?;
        let mut errors = FormErrors::new();
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_CHANNELS)?;
        let channels = self.store().guild_channels(guild_id).await?;

        let mut changes: Vec<(Channel, Channel)> = Vec::new();
        for (index, entry) in request.iter().enumerate() {
            let Some(before) = channels.iter().find(|c| c.id == entry.id && !c.kind.is_thread()) else {
                errors.push(FormError::new(
                    vec![PathSegment::Index(index), PathSegment::field("id")],
                    "CHANNEL_INVALID",
                    "Unknown channel.",
                ));
                continue;
            };
            let mut after =
                changes.iter().find(|(b, _)| b.id == before.id).map_or_else(|| before.clone(), |c| c.1.clone());
            if let Some(position) = entry.position {
                after.position = Some(i32::try_from(position).unwrap_or(i32::MAX));
            }
            match entry.parent_id {
                Some(Nullable::Value(parent)) => {
                    let path = vec![PathSegment::Index(index), PathSegment::field("parent_id")];
                    if let Some(category) =
                        check_parent(&mut errors, path, before.kind, parent, &channels, Some(before.id))
                    {
                        after.parent_id = Some(Nullable::Value(category.id));
                        if entry.lock_permissions == Some(true) {
                            after.permission_overwrites = Some(category.overwrites().to_vec());
                        }
                    }
                }
                Some(Nullable::Null) if before.kind != ChannelType::GuildCategory => {
                    after.parent_id = Some(Nullable::Null);
                }
                _ => {}
            }
            changes.retain(|(b, _)| b.id != before.id);
            changes.push((before.clone(), after));
        }
        errors.into_result()?;
        changes.retain(|(before, after)| before != after);
        for (before, after) in &changes {
            // Each moved channel is checked like an edit of that channel: the actor must see it
            // and manage it there, not just guild-wide (a channel hidden from a moderator must
            // not be movable, let alone re-synced into a public category).
            let here = access.channel_permissions(before, None);
            if !here.contains(Permissions::VIEW_CHANNEL) {
                return Err(Error::code(Code::MissingAccess));
            }
            if !here.contains(Permissions::MANAGE_CHANNELS) {
                return Err(Error::code(Code::MissingPermissions));
            }
            if let Some(parent) = after.parent().filter(|p| Some(*p) != before.parent())
                && let Some(category) = channels.iter().find(|c| c.id == parent)
                && !access.channel_permissions(category, None).contains(Permissions::VIEW_CHANNEL)
            {
                return Err(Error::code(Code::MissingAccess));
            }
            // Syncing with a category copies overwrites the actor did not write itself, so it
            // is checked like any other overwrite edit.
            authorize_overwrites(&access, access.permissions | here, before.overwrites(), after.overwrites())?;
        }
        for (_, after) in &changes {
            self.store().update_channel(after).await?;
        }
        for (before, after) in &changes {
            self.publish_channel_change(&access, before, after).await?;
        }
        Ok(())
    }
}
