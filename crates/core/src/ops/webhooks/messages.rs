//! A webhook's own messages through its token (`/webhooks/{id}/{token}/messages/{id}`,
//! protocol.md §3.4): no authentication; only messages that webhook sent (10008 otherwise), in
//! its channel or, with `?thread_id`, in a thread of it. Edits are the author's edits.

use guildhall_model::channel::Channel;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, WebhookMarker};
use guildhall_model::message::Message;
use guildhall_model::{Id, Nullable};
use guildhall_store::{MessageRecord, WebhookRecord};
use serde::Deserialize;

use crate::ops::messages::mentions::{Author, DefaultParse};
use crate::ops::messages::{EditMessage, RenderOptions, validate_edit};
use crate::ops::{Code, Core, Error, Result};

/// `?thread_id` of the webhook message routes.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct WebhookMessageQuery {
    pub thread_id: Option<Id<ChannelMarker>>,
}

/// The mention rights of a webhook in `channel`: it speaks with the channel's full voice, so
/// what pings is up to `allowed_mentions`.
pub(crate) fn webhook_voice<'a>(channel: &Channel, roles: &'a [Role]) -> Author<'a> {
    Author { guild_id: channel.guild_id, roles, can_mention_everyone: true }
}

impl Core {
    /// Where a webhook posts: its channel (10015 if that is gone), or a thread of it named by
    /// `thread_id` (10003 otherwise).
    pub(crate) async fn webhook_target(
        &self,
        webhook: &WebhookRecord,
        thread_id: Option<Id<ChannelMarker>>,
    ) -> Result<Channel> {
        let store = self.store();
        let home = store.channel(webhook.channel_id).await?.ok_or_else(|| Error::code(Code::UnknownWebhook))?;
        match thread_id {
            None => Ok(home),
            Some(thread_id) => store
                .channel(thread_id)
                .await?
                .filter(|t| t.kind.is_thread() && t.parent_id == Some(Nullable::Value(home.id)))
                .ok_or_else(|| Error::code(Code::UnknownChannel)),
        }
    }

    /// The roles of `channel`'s guild, for mentions.
    pub(crate) async fn webhook_roles(&self, channel: &Channel) -> Result<Vec<Role>> {
        Ok(match channel.guild_id {
            Some(guild_id) => self.store().guild_roles(guild_id).await?,
            None => Vec::new(),
        })
    }

    /// A message the webhook sent, where the query says to look.
    async fn own_webhook_message(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        message_id: Id<MessageMarker>,
        query: WebhookMessageQuery,
    ) -> Result<(Channel, MessageRecord)> {
        let webhook = self.token_webhook(id, token).await?;
        let channel = self.webhook_target(&webhook, query.thread_id).await?;
        let record = self
            .store()
            .message(channel.id, message_id)
            .await?
            .filter(|m| m.webhook_id == Some(webhook.id))
            .ok_or_else(|| Error::code(Code::UnknownMessage))?;
        Ok((channel, record))
    }

    /// `GET /webhooks/{id}/{token}/messages/{id}`.
    pub async fn webhook_message(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        message_id: Id<MessageMarker>,
        query: WebhookMessageQuery,
    ) -> Result<Message> {
        let (_, record) = self.own_webhook_message(id, token, message_id, query).await?;
        self.render_message(&record, RenderOptions::default()).await
    }

    /// `PATCH /webhooks/{id}/{token}/messages/{id}` ⇒ the message, MESSAGE_UPDATE: the
    /// webhook edits like an author, with a webhook's default mentions (users only).
    pub async fn edit_webhook_message(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        message_id: Id<MessageMarker>,
        query: WebhookMessageQuery,
        request: EditMessage,
    ) -> Result<Message> {
        validate_edit(&request)?;
        let (channel, mut record) = self.own_webhook_message(id, token, message_id, query).await?;
        let roles = self.webhook_roles(&channel).await?;
        let voice = webhook_voice(&channel, &roles);
        let changes = self.apply_author_edit(&mut record, request, voice, DefaultParse::UsersOnly).await?;
        self.save_edit(&record, changes).await?;
        self.publish_message(&channel, &record, "MESSAGE_UPDATE").await
    }

    /// `DELETE /webhooks/{id}/{token}/messages/{id}` ⇒ 204, MESSAGE_DELETE.
    pub async fn delete_webhook_message(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        message_id: Id<MessageMarker>,
        query: WebhookMessageQuery,
    ) -> Result<()> {
        let (channel, record) = self.own_webhook_message(id, token, message_id, query).await?;
        self.erase_files(&record.attachments).await?;
        if !self.store().delete_message(channel.id, record.id).await? {
            return Err(Error::code(Code::UnknownMessage));
        }
        self.publish_message_deleted(&channel, record.id).await
    }
}
