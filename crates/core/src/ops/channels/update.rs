//! `PATCH /channels/{id}` for guild channels.

use guildhall_model::channel::ChannelType;
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::ChannelMarker;
use guildhall_model::{Id, Nullable};

use super::super::{Actor, Code, Core, Error, Result};
use super::create::check_parent;
use super::overwrites::{authorize_overwrites, held_in};
use super::settings::{ChannelSettings, apply_settings};
use crate::limits::{FormError, FormErrors, PathSegment};

/// The type changes Discord allows: text and announcement channels into each other.
fn convertible(from: ChannelType, to: ChannelType) -> bool {
    from == to
        || matches!(
            (from, to),
            (ChannelType::GuildText, ChannelType::GuildAnnouncement)
                | (ChannelType::GuildAnnouncement, ChannelType::GuildText)
        )
}

impl Core {
    /// `PATCH /channels/{id}`: MANAGE_CHANNELS in the channel; changing
    /// `permission_overwrites` also needs MANAGE_ROLES there and only bits the actor holds.
    /// `type` converts text and announcement channels into each other only. Fires
    /// CHANNEL_UPDATE (and CHANNEL_DELETE/CREATE for members whose view changed).
    ///
    /// DMs and threads answer 50024: group DMs do not exist here and threads are edited through
    /// their own fields, which are not implemented yet.
    pub async fn update_channel(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        request: ChannelSettings,
    ) -> Result<guildhall_model::channel::Channel> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let access = self.channel_access(actor, channel_id).await?;
        let guild = access.guild()?;
        let before = access.channel.clone();
        if before.kind.is_thread() {
            return Err(Error::code(Code::WrongChannelType));
        }

        let mut errors = FormErrors::new();
        let mut after = before.clone();
        if let Some(kind) = request.kind
            && !convertible(before.kind, kind)
        {
            errors.push(FormError::new(
                vec![PathSegment::field("type")],
                "CHANNEL_TYPE_INVALID",
                "Only text and announcement channels can be converted into each other.",
            ));
        } else if let Some(kind) = request.kind {
            after.kind = kind;
        }
        apply_settings(&mut after, &request, &self.voice_servers().regions(), &[], &mut errors);
        std::mem::take(&mut errors).into_result()?;

        access.require(Permissions::MANAGE_CHANNELS)?;
        let channels = self.store().guild_channels(guild.guild_id()).await?;
        match request.parent_id {
            Some(Nullable::Value(parent)) => {
                let path = vec![PathSegment::field("parent_id")];
                if let Some(category) = check_parent(&mut errors, path, after.kind, parent, &channels, Some(before.id))
                {
                    after.parent_id = Some(Nullable::Value(category.id));
                }
            }
            Some(Nullable::Null) if after.kind != ChannelType::GuildCategory => after.parent_id = Some(Nullable::Null),
            _ => {}
        }
        if let Some(list) = &request.permission_overwrites {
            let overwrites = self.resolve_overwrites(guild, before.overwrites(), list, &mut errors).await?;
            after.permission_overwrites = Some(overwrites);
        }
        errors.into_result()?;
        authorize_overwrites(guild, held_in(&access), before.overwrites(), after.overwrites())?;

        self.store().update_channel(&after).await?;
        self.publish_channel_change(guild, &before, &after).await?;
        Ok(after)
    }
}
