//! Editing and deleting messages (protocol.md §3.4): the author edits what it wrote; moderators
//! with MANAGE_MESSAGES may only suppress embeds, delete, and bulk-delete recent messages.

use guildhall_model::channel::Channel;
use guildhall_model::flags::{MessageFlags, Permissions};
use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::{AllowedMentions, Embed, Message, MessageType};
use guildhall_model::{Id, Nullable};
use guildhall_store::MessageRecord;
use serde::Deserialize;

use super::attachments::{self, AttachmentRequest, FileChanges, Upload};
use super::create::{is_empty, is_system, sanitize_embeds};
use super::mentions::{self, Author, DefaultParse, Policy};
use super::{Family, RenderOptions, channel_event, components};
use crate::limits::{self, FormError, FormErrors, PathSegment};
use crate::ops::{Actor, Code, Core, Error, Result};

/// `PATCH /channels/{id}/messages/{id}` and `PATCH /webhooks/{id}/{token}/messages/{id}`:
/// every field optional; `null` clears.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EditMessage {
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub content: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub embeds: Option<Nullable<Vec<Embed>>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub flags: Option<Nullable<MessageFlags>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub allowed_mentions: Option<Nullable<AllowedMentions>>,
    /// Replaces the components (same checks as on create); `null` or `[]` removes them.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub components: Option<Nullable<Vec<serde_json::Value>>>,
    /// The attachments the message keeps (those not listed go, with their files) and the
    /// metadata of new files; `null` or `[]` removes them all, absent keeps them.
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub attachments: Option<Nullable<Vec<AttachmentRequest>>>,
    /// New files (multipart `files[n]`), filled in by the transport.
    #[serde(skip)]
    pub files: Vec<Upload>,
}

impl EditMessage {
    /// The `attachments` entries, if a list was sent.
    fn attachment_requests(&self) -> &[AttachmentRequest] {
        match &self.attachments {
            Some(Nullable::Value(list)) => list,
            _ => &[],
        }
    }

    /// Whether the edit touches the attachments.
    fn changes_attachments(&self) -> bool {
        self.attachments.is_some() || !self.files.is_empty()
    }
}

/// `POST /channels/{id}/messages/bulk-delete`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BulkDelete {
    pub messages: Option<Vec<Id<MessageMarker>>>,
}

/// The checks of an edit that need no stored message: `content` length, `embeds`,
/// `allowed_mentions`, the files and `attachments` entries.
pub(crate) fn validate_edit(request: &EditMessage) -> Result<()> {
    let mut errors = FormErrors::new();
    attachments::validate(&mut errors, request.attachment_requests(), &request.files)?;
    if let Some(Nullable::Value(content)) = &request.content {
        errors.check(limits::validate_message_content(content));
    }
    if let Some(Nullable::Value(embeds)) = &request.embeds {
        errors.extend(limits::validate_embeds(embeds));
    }
    if let Some(Nullable::Value(allowed)) = &request.allowed_mentions {
        mentions::validate_allowed_mentions(allowed, &mut errors);
    }
    Ok(errors.into_result()?)
}

impl Core {
    /// `PATCH /channels/{id}/messages/{id}` ⇒ the message, MESSAGE_UPDATE. The author edits
    /// its message freely; anyone else needs MANAGE_MESSAGES and may only
    /// toggle SUPPRESS_EMBEDS (50005 otherwise).
    pub async fn edit_message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        request: EditMessage,
    ) -> Result<Message> {
        validate_edit(&request)?;
        let access = self.message_channel(actor, channel_id).await?;
        let mut record = self.load_message(channel_id, message_id).await?;
        if is_system(record.kind) {
            return Err(Error::code(Code::SystemMessage));
        }
        let own = record.webhook_id.is_none() && record.author_id == actor.id();
        let mut changes = FileChanges::default();
        if own {
            if !request.files.is_empty() {
                access.require(Permissions::ATTACH_FILES)?;
            }
            let author = Author {
                guild_id: access.guild_id(),
                roles: access.guild.as_ref().map_or(&[], |g| g.roles.as_slice()),
                can_mention_everyone: access.permissions.contains(Permissions::MENTION_EVERYONE),
            };
            changes = self.apply_author_edit(&mut record, request, author, DefaultParse::All).await?;
        } else {
            let moderator = access.permissions.contains(Permissions::MANAGE_MESSAGES);
            let authored = request.content.is_some()
                || request.embeds.is_some()
                || request.components.is_some()
                || request.changes_attachments();
            if !moderator || authored {
                return Err(Error::code(Code::CannotEditOthersMessage));
            }
            if let Some(wanted) = request.flags.map(|f| f.into_option().unwrap_or_default()) {
                record.flags.set(MessageFlags::SUPPRESS_EMBEDS, wanted.contains(MessageFlags::SUPPRESS_EMBEDS));
            }
        }
        self.save_edit(&record, changes).await?;
        let message = self.publish_message(&access.channel, &record, "MESSAGE_UPDATE").await?;
        if message.reactions.is_none() {
            return Ok(message);
        }
        // Reactions' `me` is per viewer; the event rendered them for nobody.
        self.render_message(&record, RenderOptions { viewer: Some(actor.id()), ..RenderOptions::default() }).await
    }

    /// An edit by the message's author (a user, or a webhook through its token): content,
    /// embeds and components are replaced (`null` clears) and set `edited_timestamp`, as do
    /// attachments (only those listed in `attachments` stay; new files are added);
    /// SUPPRESS_EMBEDS toggles; IS_COMPONENTS_V2 can be set, never cleared (other flag bits are
    /// the server's, and libraries echo them back as they were); mentions are recomputed when
    /// content or `allowed_mentions` change. The result must show something (50006), its
    /// components fit its kind, and a components-v2 message has no content or embeds (50035).
    pub(crate) async fn apply_author_edit(
        &self,
        record: &mut MessageRecord,
        mut request: EditMessage,
        author: Author<'_>,
        default: DefaultParse,
    ) -> Result<FileChanges> {
        if let Some(wanted) = request.flags.map(|f| f.into_option().unwrap_or_default()) {
            record.flags.set(MessageFlags::SUPPRESS_EMBEDS, wanted.contains(MessageFlags::SUPPRESS_EMBEDS));
            record.flags |= wanted & MessageFlags::IS_COMPONENTS_V2;
        }
        let content_changed = request.content.is_some();
        let components_changed = request.components.is_some();
        let attachments_changed = request.changes_attachments();
        if request.content.is_some() || request.embeds.is_some() || components_changed || attachments_changed {
            record.edited_timestamp = Some(self.now());
        }
        let mut changes = FileChanges::default();
        if request.attachments.is_some() {
            let keep: Vec<u64> = request.attachment_requests().iter().map(|r| r.id).collect();
            let (kept, removed) =
                std::mem::take(&mut record.attachments).into_iter().partition(|a| keep.contains(&a.id.get()));
            record.attachments = kept;
            changes.removed = removed;
        }
        let files = std::mem::take(&mut request.files);
        if !files.is_empty() {
            changes.added = self.prepare_files(record.channel_id, files, request.attachment_requests());
            record.attachments.extend(changes.added.iter().map(|(a, _)| a.clone()));
        }
        if let Some(content) = request.content {
            record.content = content.into_option().unwrap_or_default();
        }
        if let Some(embeds) = request.embeds {
            record.embeds = sanitize_embeds(embeds.into_option().unwrap_or_default());
        }
        if let Some(new) = request.components {
            record.components = new.into_option().unwrap_or_default();
        }
        let mut errors = FormErrors::new();
        let v2 = record.flags.contains(MessageFlags::IS_COMPONENTS_V2);
        if components_changed {
            components::validate(&mut errors, &record.components, v2);
        }
        if v2 {
            components::validate_v2_legacy(&mut errors, &record.content, &record.embeds);
        }
        if record.attachments.len() > crate::limits::ATTACHMENTS_MAX {
            errors.push(attachments::too_many(&[PathSegment::field("attachments")]));
        }
        errors.into_result()?;
        if is_empty(record) {
            return Err(Error::code(Code::EmptyMessage));
        }
        if content_changed || request.allowed_mentions.is_some() {
            let allowed = request.allowed_mentions.and_then(Nullable::into_option);
            self.recompute_mentions(record, allowed, author, default).await?;
        }
        Ok(changes)
    }

    /// Writes an edited message: new files first, then the dropped files are erased, then the
    /// row; if the row cannot be written the new files are discarded again.
    pub(crate) async fn save_edit(&self, record: &MessageRecord, changes: FileChanges) -> Result<()> {
        self.store_files(&changes.added).await?;
        let saved = async {
            self.erase_files(&changes.removed).await?;
            self.store().update_message(record).await?;
            Ok::<_, Error>(())
        }
        .await;
        if saved.is_err() {
            self.discard_files(&changes.added).await;
        }
        saved
    }

    /// Mentions of edited content. A reply keeps pinging the replied-to author if it did.
    async fn recompute_mentions(
        &self,
        record: &mut MessageRecord,
        allowed: Option<AllowedMentions>,
        author: Author<'_>,
        default: DefaultParse,
    ) -> Result<()> {
        let policy = Policy::new(allowed.as_ref(), default);
        let mut resolved = self.resolve_mentions(&record.content, &policy, author, None).await?;
        if record.kind == MessageType::Reply
            && let Some(reference) = &record.message_reference
            && let Some(target) = reference.message_id
            && let Some(replied) =
                self.store().message(reference.channel_id.unwrap_or(record.channel_id), target).await?
            && record.mention_user_ids.contains(&replied.author_id)
            && !resolved.users.contains(&replied.author_id)
        {
            resolved.users.push(replied.author_id);
        }
        record.mention_user_ids = resolved.users;
        record.mention_role_ids = resolved.roles;
        record.mention_everyone = resolved.everyone;
        Ok(())
    }

    /// MESSAGE_DELETE for a message of `channel`.
    pub(crate) async fn publish_message_deleted(&self, channel: &Channel, message_id: Id<MessageMarker>) -> Result<()> {
        let data = serde_json::json!({ "id": message_id, "channel_id": channel.id });
        self.publish(channel_event(channel, Family::Messages, "MESSAGE_DELETE", data)).await;
        Ok(())
    }

    /// `DELETE /channels/{id}/messages/{id}` ⇒ 204, MESSAGE_DELETE. One's own message, or any
    /// with MANAGE_MESSAGES; some system notices can never be deleted (50021).
    pub async fn delete_message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<()> {
        let access = self.message_channel(actor, channel_id).await?;
        let record = self.load_message(channel_id, message_id).await?;
        let own = record.webhook_id.is_none() && record.author_id == actor.id();
        if !own {
            access.require(Permissions::MANAGE_MESSAGES)?;
        }
        if record.kind.is_undeletable() {
            return Err(Error::code(Code::SystemMessage));
        }
        self.erase_files(&record.attachments).await?;
        if !self.store().delete_message(channel_id, message_id).await? {
            return Err(Error::code(Code::UnknownMessage));
        }
        self.publish_message_deleted(&access.channel, message_id).await
    }

    /// `POST /channels/{id}/messages/bulk-delete` ⇒ 204, MESSAGE_DELETE_BULK with the ids that
    /// were live. 2–100 ids (50016), no duplicates, none older than 14 days (50034); guild
    /// channels only, MANAGE_MESSAGES.
    pub async fn bulk_delete_messages(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        request: BulkDelete,
    ) -> Result<()> {
        let path = [PathSegment::field("messages")];
        let ids = request.messages.ok_or_else(|| Error::field(FormError::required(&path)))?;
        if !(limits::BULK_DELETE_MIN..=limits::BULK_DELETE_MAX).contains(&ids.len()) {
            return Err(Error::code(Code::BulkDeleteCount));
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != ids.len() {
            return Err(Error::field(FormError::new(
                path.to_vec(),
                "ARRAY_ITEM_VALUE_ALREADY_EXISTS",
                "Message ids must be unique.",
            )));
        }
        let access = self.message_channel(actor, channel_id).await?;
        let guild_id = access.guild()?.guild_id();
        access.require(Permissions::MANAGE_MESSAGES)?;
        let now_ms = u64::try_from(self.now().as_millis()).unwrap_or(0);
        let oldest_ms = now_ms.saturating_sub(limits::BULK_DELETE_MAX_AGE_SECS * 1000);
        if ids.iter().any(|id| id.timestamp_ms() < oldest_ms) {
            return Err(Error::code(Code::MessageTooOld));
        }
        self.erase_files_of(channel_id, &ids).await?;
        let deleted = self.store().delete_messages(channel_id, &ids).await?;
        if !deleted.is_empty() {
            let data = serde_json::json!({ "ids": deleted, "channel_id": channel_id, "guild_id": guild_id });
            self.publish(channel_event(&access.channel, Family::Messages, "MESSAGE_DELETE_BULK", data)).await;
        }
        Ok(())
    }
}
