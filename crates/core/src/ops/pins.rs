//! Pins (protocol.md §3.4 `/channels/{id}/messages/pins` and the deprecated `/channels/{id}/pins`).
//!
//! Pinning needs PIN_MESSAGES (MANAGE_MESSAGES stopped being enough in 2026); at most 250 pins
//! per channel (30003). A pin fires MESSAGE_UPDATE (`pinned` changed), CHANNEL_PINS_UPDATE and,
//! as on Discord, posts a CHANNEL_PINNED_MESSAGE (type 6) notice referencing the pinned
//! message; an unpin fires the first two.

use guildhall_model::channel::Channel;
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::{Message, MessageReference, MessageReferenceType, MessageType};
use guildhall_model::{Id, Nullable, Timestamp};
use guildhall_store::{MessageRecord, PinRecord};
use serde::{Deserialize, Serialize};

use super::messages::{Family, RenderOptions, channel_event};
use super::{Actor, ChannelAccess, Code, Core, Error, Result};
use crate::limits::{self, PathSegment};

/// `GET /channels/{id}/messages/pins` query: pins made strictly before `before`, `limit` 1–50.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct PinsQuery {
    pub before: Option<Timestamp>,
    pub limit: Option<u32>,
}

/// One pin of the paged listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PinnedMessage {
    pub pinned_at: Timestamp,
    pub message: Message,
}

/// `GET /channels/{id}/messages/pins`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PinsPage {
    pub items: Vec<PinnedMessage>,
    pub has_more: bool,
}

/// Largest (and default) page of pins.
const PINS_PAGE_MAX: u32 = 50;

impl Core {
    /// `GET /channels/{id}/messages/pins`: newest pin first. Without READ_MESSAGE_HISTORY the
    /// list is empty, as the message history is.
    pub async fn pins(&self, actor: &Actor, channel_id: Id<ChannelMarker>, query: PinsQuery) -> Result<PinsPage> {
        let limit = query.limit.unwrap_or(PINS_PAGE_MAX);
        limits::validate_range(&[PathSegment::field("limit")], limit, 1, PINS_PAGE_MAX)?;
        let access = self.message_channel(actor, channel_id).await?;
        if !access.permissions.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Ok(PinsPage { items: Vec::new(), has_more: false });
        }
        let mut pins = self.store().pins(channel_id, query.before, limit + 1).await?;
        let has_more = pins.len() > limit as usize;
        pins.truncate(limit as usize);
        let items = self
            .pinned_messages(actor, channel_id, &pins)
            .await?
            .into_iter()
            .map(|(pinned_at, message)| PinnedMessage { pinned_at, message })
            .collect();
        Ok(PinsPage { items, has_more })
    }

    /// `GET /channels/{id}/pins` (deprecated): the newest 50 pinned messages.
    pub async fn legacy_pins(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<Vec<Message>> {
        let access = self.message_channel(actor, channel_id).await?;
        if !access.permissions.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Ok(Vec::new());
        }
        let pins = self.store().pins(channel_id, None, PINS_PAGE_MAX).await?;
        Ok(self.pinned_messages(actor, channel_id, &pins).await?.into_iter().map(|(_, m)| m).collect())
    }

    /// The messages of `pins`, rendered for the actor, in the pins' order.
    async fn pinned_messages(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        pins: &[PinRecord],
    ) -> Result<Vec<(Timestamp, Message)>> {
        let mut records = Vec::with_capacity(pins.len());
        let mut times = Vec::with_capacity(pins.len());
        for pin in pins {
            // A deleted message loses its pin in the same write, so a miss is only a race.
            if let Some(record) = self.store().message(channel_id, pin.message_id).await? {
                records.push(record);
                times.push(pin.pinned_at);
            }
        }
        let options = RenderOptions { viewer: Some(actor.id()), ..RenderOptions::default() };
        let messages = self.render_messages(&records, options).await?;
        Ok(times.into_iter().zip(messages).collect())
    }

    /// The channel and message a pin change is about; PIN_MESSAGES.
    async fn pin_target(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<(ChannelAccess, MessageRecord)> {
        let access = self.message_channel(actor, channel_id).await?;
        access.require(Permissions::PIN_MESSAGES)?;
        // Messages are keyed by channel: one from another channel is unknown here.
        let message = self.load_message(channel_id, message_id).await?;
        Ok((access, message))
    }

    /// `PUT /channels/{id}/messages/pins/{id}` (and the deprecated `/pins/{id}`) ⇒ 204.
    /// Pinning a pinned message changes nothing.
    pub async fn pin_message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<()> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let (access, mut message) = self.pin_target(actor, channel_id, message_id).await?;
        if message.pinned {
            return Ok(());
        }
        if self.store().pin_count(channel_id).await? as usize >= limits::PINS_MAX {
            return Err(Error::code(Code::MaxPins));
        }
        if !self.store().pin(channel_id, message_id, self.now()).await? {
            return Ok(());
        }
        message.pinned = true;
        self.publish_message(&access.channel, &message, "MESSAGE_UPDATE").await?;
        self.pins_changed(&access.channel).await?;

        let mut notice = MessageRecord::new(self.next_id(), channel_id, access.guild_id(), actor.id(), "");
        notice.kind = MessageType::ChannelPinnedMessage;
        notice.message_reference = Some(MessageReference {
            kind: Some(MessageReferenceType::Default),
            message_id: Some(message_id),
            channel_id: Some(channel_id),
            guild_id: access.guild_id(),
            fail_if_not_exists: None,
        });
        self.insert_message(&access.channel, &notice).await?;
        Ok(())
    }

    /// `DELETE /channels/{id}/messages/pins/{id}` (and `/pins/{id}`) ⇒ 204.
    pub async fn unpin_message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<()> {
        let _guard = self.lock_channel_scope(channel_id).await?;
        let (access, mut message) = self.pin_target(actor, channel_id, message_id).await?;
        if !self.store().unpin(channel_id, message_id).await? {
            return Ok(());
        }
        message.pinned = false;
        self.publish_message(&access.channel, &message, "MESSAGE_UPDATE").await?;
        self.pins_changed(&access.channel).await
    }

    /// Records the channel's newest pin time (`last_pin_timestamp`) and fires
    /// CHANNEL_PINS_UPDATE.
    async fn pins_changed(&self, channel: &Channel) -> Result<()> {
        let newest = self.store().pins(channel.id, None, 1).await?.first().map(|p| p.pinned_at);
        // Re-read so the write carries every other field as it is now.
        if let Some(mut current) = self.store().channel(channel.id).await? {
            current.last_pin_timestamp = Some(Nullable::from_option(newest));
            self.store().update_channel(&current).await?;
        }
        let data = serde_json::json!({ "channel_id": channel.id, "last_pin_timestamp": newest });
        self.publish(channel_event(channel, Family::Pins, "CHANNEL_PINS_UPDATE", data)).await;
        Ok(())
    }
}
