//! Messages: history, one message, typing (protocol.md §3.4 "Channels / messages"); posting in
//! `create` (§3.5) with forwards in `forward` and components in `components`, edits and
//! deletes in `edit`; mentions and rendering are shared with webhooks, pins and reactions.
//! Events per §2.2: guild members who can view the channel (and connect, for voice channels)
//! with GUILD_* intents, or a DM's recipients with DIRECT_* intents.

pub mod attachments;
pub(crate) mod components;
pub(crate) mod create;
mod edit;
mod forward;
pub(crate) mod mentions;
pub(crate) mod render;

use guildhall_bus::Event;
use guildhall_model::Id;
use guildhall_model::channel::Channel;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::Message;
use guildhall_store::{MessageAnchor, MessageRecord};
use serde::{Deserialize, Serialize};

pub use attachments::{AttachmentQuery, AttachmentRequest, Upload};
pub use create::CreateMessage;
pub(crate) use edit::validate_edit;
pub use edit::{BulkDelete, EditMessage};
pub use mentions::{Parsed as ParsedMentions, parse as parse_mentions};
pub(crate) use render::RenderOptions;

use super::{Actor, ChannelAccess, Code, Core, Error, Result, views};
use crate::limits::{self, FormError, PathSegment};

/// `GET /channels/{id}/messages` query: one anchor at most, `limit` 1–100 (default 50).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct MessagesQuery {
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub around: Option<Id<MessageMarker>>,
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub before: Option<Id<MessageMarker>>,
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub after: Option<Id<MessageMarker>>,
    pub limit: Option<u32>,
}

/// Default page size of the message history.
const HISTORY_DEFAULT_LIMIT: u32 = 50;
/// Largest page of the message history.
const HISTORY_MAX_LIMIT: u32 = 100;

/// Which dispatch group an event belongs to (protocol.md §1.6): picks the guild or DM intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Messages,
    Reactions,
    Typing,
    /// CHANNEL_PINS_UPDATE: GUILDS in guilds, DIRECT_MESSAGES in DMs.
    Pins,
}

impl Family {
    const fn intent(self, in_guild: bool) -> Intents {
        match (self, in_guild) {
            (Self::Messages, true) => Intents::GUILD_MESSAGES,
            (Self::Messages | Self::Pins, false) => Intents::DIRECT_MESSAGES,
            (Self::Reactions, true) => Intents::GUILD_MESSAGE_REACTIONS,
            (Self::Reactions, false) => Intents::DIRECT_MESSAGE_REACTIONS,
            (Self::Typing, true) => Intents::GUILD_MESSAGE_TYPING,
            (Self::Typing, false) => Intents::DIRECT_MESSAGE_TYPING,
            (Self::Pins, true) => Intents::GUILDS,
        }
    }
}

/// An event about `channel` for whoever can see it: guild members who can view it (voice
/// channels: and connect, which their text chat requires), or a DM's recipients. Guild events
/// get the channel's `guild_id` added to their payload.
pub(crate) fn channel_event(channel: &Channel, family: Family, name: &'static str, data: serde_json::Value) -> Event {
    let mut data = data;
    match channel.guild_id {
        Some(guild_id) => {
            // Every channel-scoped dispatch names its guild (protocol.md §2.2 `guild_id?`).
            if let Some(map) = data.as_object_mut() {
                map.entry("guild_id").or_insert_with(|| serde_json::json!(guild_id));
            }
            let event = Event::guild(name, guild_id, Some(channel.id), family.intent(true), data);
            if channel.kind.is_voice() { event.requiring(Permissions::CONNECT) } else { event }
        }
        None => {
            let recipients = channel.recipients.iter().flatten().map(|u| u.id).collect();
            Event::users(name, recipients, family.intent(false), data)
        }
    }
}

/// Serializes a payload; a failure here is a bug, reported as a 500.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(&e))
}

impl Core {
    /// The actor's view of a channel whose messages it wants: 10003/50001 as for any channel,
    /// and a voice channel's chat also needs CONNECT (50001 without it).
    pub(crate) async fn message_channel(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<ChannelAccess> {
        let access = self.channel_access(actor, channel_id).await?;
        if access.channel.kind.is_voice() && !access.permissions.contains(Permissions::CONNECT) {
            return Err(Error::code(Code::MissingAccess));
        }
        Ok(access)
    }

    /// A live message of the channel, or 10008.
    pub(crate) async fn load_message(
        &self,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<MessageRecord> {
        self.store().message(channel_id, message_id).await?.ok_or_else(|| Error::code(Code::UnknownMessage))
    }

    /// Renders `record` once for the gateway and publishes it as `name` (MESSAGE_CREATE /
    /// MESSAGE_UPDATE); returns the rendering, with the gateway-only `channel_type` removed.
    pub(crate) async fn publish_message(
        &self,
        channel: &Channel,
        record: &MessageRecord,
        name: &'static str,
    ) -> Result<Message> {
        let created = name == "MESSAGE_CREATE";
        let options = RenderOptions { viewer: None, nonce: created, channel_type: Some(channel.kind), fresh: created };
        let mut message = self.render_message(record, options).await?;
        if !created {
            // Discord never replays text-to-speech on an update.
            message.tts = false;
        }
        self.publish(channel_event(channel, Family::Messages, name, to_json(&message)?)).await;
        message.channel_type = None;
        message.tts = record.tts;
        Ok(message)
    }

    /// `GET /channels/{id}/messages`: newest first. Without READ_MESSAGE_HISTORY the answer is
    /// an empty list, as on Discord.
    pub async fn messages(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        query: MessagesQuery,
    ) -> Result<Vec<Message>> {
        let limit = query.limit.unwrap_or(HISTORY_DEFAULT_LIMIT);
        limits::validate_range(&[PathSegment::field("limit")], limit, 1, HISTORY_MAX_LIMIT)?;
        let anchors = [("around", query.around), ("before", query.before), ("after", query.after)];
        let given: Vec<_> = anchors.iter().filter(|(_, id)| id.is_some()).collect();
        if let Some((name, _)) = given.get(1) {
            return Err(Error::field(FormError::new(
                vec![PathSegment::field(name)],
                "BASE_TYPE_INVALID",
                "around, before and after are mutually exclusive.",
            )));
        }
        let anchor = match (query.around, query.before, query.after) {
            (Some(id), _, _) => MessageAnchor::Around(id),
            (_, Some(id), _) => MessageAnchor::Before(id),
            (_, _, Some(id)) => MessageAnchor::After(id),
            _ => MessageAnchor::Latest,
        };
        let access = self.message_channel(actor, channel_id).await?;
        if !access.permissions.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Ok(Vec::new());
        }
        let records = self.store().messages(channel_id, anchor, limit).await?;
        self.render_messages(&records, RenderOptions { viewer: Some(actor.id()), ..RenderOptions::default() }).await
    }

    /// `GET /channels/{id}/messages/{id}`: needs READ_MESSAGE_HISTORY.
    pub async fn message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<Message> {
        let access = self.message_channel(actor, channel_id).await?;
        access.require(Permissions::READ_MESSAGE_HISTORY)?;
        let record = self.load_message(channel_id, message_id).await?;
        self.render_message(&record, RenderOptions { viewer: Some(actor.id()), ..RenderOptions::default() }).await
    }

    /// `POST /channels/{id}/typing`: TYPING_START with a unix-seconds timestamp and, in guilds,
    /// the typing member (with its user). Needs SEND_MESSAGES (in threads:
    /// SEND_MESSAGES_IN_THREADS, which the channel permissions already map).
    pub async fn trigger_typing(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<()> {
        let access = self.message_channel(actor, channel_id).await?;
        if !access.channel.kind.is_text_capable() {
            return Err(Error::code(Code::NonTextChannel));
        }
        access.require(Permissions::SEND_MESSAGES)?;
        let mut data = serde_json::json!({
            "channel_id": channel_id,
            "user_id": actor.id(),
            "timestamp": self.now().as_secs(),
        });
        if let (Some(guild), Some(map)) = (&access.guild, data.as_object_mut()) {
            map.insert("member".to_owned(), to_json(&views::member(&guild.member, Some(&actor.user)))?);
        }
        self.publish(channel_event(&access.channel, Family::Typing, "TYPING_START", data)).await;
        Ok(())
    }
}
