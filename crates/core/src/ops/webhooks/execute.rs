//! Executing a webhook (`POST /webhooks/{id}/{token}`, protocol.md §3.4): no authentication,
//! the message's author is a fake user carrying the webhook's id and name (or the
//! `username`/`avatar_url` overrides), and only user mentions ping unless `allowed_mentions`
//! says otherwise.

use guildhall_model::Id;
use guildhall_model::flags::MessageFlags;
use guildhall_model::id::marker::{ChannelMarker, WebhookMarker};
use guildhall_model::message::{AllowedMentions, Embed, Message};
use guildhall_store::MessageRecord;
use serde::Deserialize;

use super::messages::webhook_voice;
use super::validate_name;
use crate::limits::FormErrors;
use crate::ops::messages::attachments::{self, AttachmentRequest, Upload};
use crate::ops::messages::create::{is_empty, sanitize_embeds, validate_body};
use crate::ops::messages::mentions::{DefaultParse, Policy};
use crate::ops::messages::render::webhook_user;
use crate::ops::views::short_hash;
use crate::ops::{Code, Core, Error, Result};

/// `POST /webhooks/{id}/{token}` body.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExecuteWebhook {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub tts: Option<bool>,
    #[serde(default)]
    pub embeds: Option<Vec<Embed>>,
    #[serde(default)]
    pub allowed_mentions: Option<AllowedMentions>,
    /// Kept as sent, like a user's (see `messages::components`).
    #[serde(default)]
    pub components: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub flags: Option<MessageFlags>,
    /// Metadata of the uploaded files (`id` = the `n` of `files[n]`).
    #[serde(default)]
    pub attachments: Option<Vec<AttachmentRequest>>,
    /// The uploaded files, filled in by the transport from a multipart body.
    #[serde(skip)]
    pub files: Vec<Upload>,
}

/// `POST /webhooks/{id}/{token}` query: `wait` (Discord's booleans: `true/True/1`,
/// `false/False/0`) and `thread_id` (post in a thread of the webhook's channel).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExecuteQuery {
    #[serde(default, deserialize_with = "crate::ops::query::opt_bool")]
    pub wait: Option<bool>,
    pub thread_id: Option<Id<ChannelMarker>>,
}

impl Core {
    /// `POST /webhooks/{id}/{token}` ⇒ the message with `?wait=true`, else nothing (204);
    /// MESSAGE_CREATE either way.
    pub async fn execute_webhook(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        query: ExecuteQuery,
        mut request: ExecuteWebhook,
    ) -> Result<Option<Message>> {
        let mut errors = FormErrors::new();
        let files = std::mem::take(&mut request.files);
        let requests = request.attachments.take().unwrap_or_default();
        attachments::validate(&mut errors, &requests, &files)?;
        let wait = query.wait.unwrap_or(false);
        validate_body(
            &mut errors,
            request.content.as_deref(),
            request.embeds.as_deref(),
            request.flags,
            request.allowed_mentions.as_ref(),
            request.components.as_deref(),
        );
        if let Some(username) = &request.username {
            errors.check(validate_name("username", username));
        }
        errors.into_result()?;

        let webhook = self.token_webhook(id, token).await?;
        let channel = self.webhook_target(&webhook, query.thread_id).await?;
        let content = request.content.unwrap_or_default();
        let mut record = MessageRecord::new(self.next_id(), channel.id, channel.guild_id, webhook.id.cast(), content);
        record.embeds = sanitize_embeds(request.embeds.unwrap_or_default());
        record.components = request.components.unwrap_or_default();
        // Webhooks may always attach files: there is no member whose permissions could say no.
        let files = self.prepare_files(channel.id, files, &requests);
        record.attachments = files.iter().map(|(a, _)| a.clone()).collect();
        if is_empty(&record) {
            return Err(Error::code(Code::EmptyMessage));
        }

        let roles = self.webhook_roles(&channel).await?;
        let policy = Policy::new(request.allowed_mentions.as_ref(), DefaultParse::UsersOnly);
        let mentioned = self.resolve_mentions(&record.content, &policy, webhook_voice(&channel, &roles), None).await?;

        let name = request.username.unwrap_or_else(|| webhook.name.clone());
        let avatar = request.avatar_url.as_deref().map(short_hash).or_else(|| webhook.avatar.clone());
        record.tts = request.tts == Some(true);
        record.flags = request.flags.unwrap_or_default();
        record.mention_user_ids = mentioned.users;
        record.mention_role_ids = mentioned.roles;
        record.mention_everyone = mentioned.everyone;
        record.webhook_id = Some(webhook.id);
        record.application_id = webhook.application_id;
        record.webhook_author = Some(webhook_user(webhook.id, &name, avatar));
        let message = self.insert_message_with_files(&channel, &record, &files).await?;
        Ok(wait.then_some(message))
    }
}
