//! Forwards (`message_reference.type` 1): a new message with nothing of its own but a frozen
//! copy of another message (`message_snapshots`), flagged HAS_SNAPSHOT. The forwarder must be
//! able to read the source channel's history; the copy never follows later edits.

use guildhall_model::Id;
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::UserMarker;
use guildhall_model::message::{MessageReference, MessageReferenceType, MessageSnapshot, SnapshotMessage};
use guildhall_store::MessageRecord;

use super::CreateMessage;
use super::attachments::Upload;
use super::create::is_system;
use crate::limits::{FormError, FormErrors, PathSegment};
use crate::ops::{Actor, Core, Error, Result, views};

/// Discord's code for a forward that carries anything besides the reference.
const UNSUPPORTED: &str = "FORWARD_CONTAINS_UNSUPPORTED_CONTENT";

/// A forward carries only its reference: content, embeds, components, files or tts are
/// refused, each at its field.
pub(crate) fn validate_alone(errors: &mut FormErrors, request: &CreateMessage, files: &[Upload]) {
    let used = [
        ("attachments", !files.is_empty()),
        ("content", request.content.as_ref().is_some_and(|c| !c.is_empty())),
        ("embeds", request.embeds.as_ref().is_some_and(|e| !e.is_empty())),
        ("components", request.components.as_ref().is_some_and(|c| !c.is_empty())),
        ("tts", request.tts == Some(true)),
    ];
    for (field, _) in used.iter().filter(|(_, used)| *used) {
        errors.push(FormError::new(
            vec![PathSegment::field(field)],
            UNSUPPORTED,
            "Forwarded messages cannot contain other content.",
        ));
    }
}

fn unknown_message() -> Error {
    Error::field(FormError::new(
        vec![PathSegment::field("message_reference")],
        "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
        "Unknown message",
    ))
}

impl Core {
    /// The reference and snapshot of a forward of `reference` (validated: it has a channel and
    /// a message). The source channel's access rules apply (10003/50001, voice chat needs
    /// CONNECT), then READ_MESSAGE_HISTORY there (50013); a missing message is
    /// MESSAGE_REFERENCE_UNKNOWN_MESSAGE, as for replies, and system notices cannot be
    /// forwarded. Forwarding a forward copies its snapshot: snapshots nest one level only.
    pub(crate) async fn forward_snapshot(
        &self,
        actor: &Actor,
        reference: &MessageReference,
    ) -> Result<(MessageReference, MessageSnapshot)> {
        let (Some(channel_id), Some(message_id)) = (reference.channel_id, reference.message_id) else {
            return Err(unknown_message());
        };
        let source = self.message_channel(actor, channel_id).await?;
        source.require(Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY)?;
        if reference.guild_id.is_some_and(|g| Some(g) != source.guild_id()) {
            return Err(unknown_message());
        }
        let target = self.store().message(channel_id, message_id).await?.ok_or_else(unknown_message)?;
        if is_system(target.kind) {
            return Err(Error::field(FormError::new(
                vec![PathSegment::field("message_reference")],
                UNSUPPORTED,
                "System messages cannot be forwarded.",
            )));
        }
        let snapshot = match target.message_snapshots.first() {
            Some(inner) => inner.clone(),
            None => MessageSnapshot { message: self.snapshot_of(&target).await? },
        };
        let reference = MessageReference {
            kind: Some(MessageReferenceType::Forward),
            message_id: Some(target.id),
            channel_id: Some(channel_id),
            guild_id: source.guild_id(),
            fail_if_not_exists: None,
        };
        Ok((reference, snapshot))
    }

    /// The snapshot fields of `record` as it is now; mentions become user objects.
    async fn snapshot_of(&self, record: &MessageRecord) -> Result<SnapshotMessage> {
        let ids: Vec<Id<UserMarker>> = record.mention_user_ids.clone();
        let users = if ids.is_empty() { Vec::new() } else { self.store().users(&ids).await? };
        // In the message's own order; users deleted since are left out.
        let mentions = ids
            .iter()
            .filter_map(|id| users.iter().find(|u| u.user.id == *id))
            .map(|u| views::public_user(&u.user))
            .collect();
        Ok(SnapshotMessage {
            kind: record.kind,
            content: record.content.clone(),
            embeds: record.embeds.clone(),
            attachments: record.attachments.clone(),
            timestamp: record.timestamp,
            edited_timestamp: record.edited_timestamp,
            flags: record.flags,
            mentions,
            mention_roles: record.mention_role_ids.clone(),
            components: Some(record.components.clone()),
        })
    }
}
