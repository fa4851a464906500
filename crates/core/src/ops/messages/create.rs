//! Posting a message (protocol.md §3.5): validation shared with webhook execution, then the
//! channel rules (SEND_MESSAGES, timeouts, slowmode, replies, `enforce_nonce`), then one insert
//! and MESSAGE_CREATE.

use guildhall_model::channel::Channel;
use guildhall_model::flags::{MessageFlags, Permissions};
use guildhall_model::id::marker::{ChannelMarker, UserMarker};
use guildhall_model::message::{
    AllowedMentions, Embed, Message, MessageReference, MessageReferenceType, MessageType, Nonce,
};
use guildhall_model::{Id, Timestamp, snowflake};
use guildhall_store::{MessageAnchor, MessageRecord};
use serde::Deserialize;

use super::RenderOptions;
use super::attachments::{self, AttachmentRequest, NewFiles, Upload};
use super::components;
use super::mentions::{self, Author, DefaultParse, Policy};
use crate::limits::{self, FormError, FormErrors, PathSegment, codes};
use crate::ops::{Actor, ChannelAccess, Code, Core, Error, Result};

/// `POST /channels/{id}/messages`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub nonce: Option<Nonce>,
    #[serde(default)]
    pub tts: Option<bool>,
    #[serde(default)]
    pub embeds: Option<Vec<Embed>>,
    #[serde(default)]
    pub allowed_mentions: Option<AllowedMentions>,
    #[serde(default)]
    pub message_reference: Option<MessageReference>,
    /// Kept as sent, after light shape and count checks.
    #[serde(default)]
    pub components: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub flags: Option<MessageFlags>,
    #[serde(default)]
    pub enforce_nonce: Option<bool>,
    /// Metadata of the uploaded files (`id` = the `n` of `files[n]`).
    #[serde(default)]
    pub attachments: Option<Vec<AttachmentRequest>>,
    /// The uploaded files: not part of the JSON, the transport fills them in from a multipart
    /// body.
    #[serde(skip)]
    pub files: Vec<Upload>,
}

/// The flags a message may be created with (protocol.md §3.5).
pub(crate) const CREATE_FLAGS: MessageFlags = MessageFlags::CREATABLE;

/// How long `enforce_nonce` remembers a nonce ("the past few minutes").
const NONCE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// Checks the fields every kind of author sends: `content` length, `embeds`, `flags`,
/// `allowed_mentions` and `components` (with IS_COMPONENTS_V2: no `content` or `embeds`).
pub(crate) fn validate_body(
    errors: &mut FormErrors,
    content: Option<&str>,
    embeds: Option<&[Embed]>,
    flags: Option<MessageFlags>,
    allowed_mentions: Option<&AllowedMentions>,
    components: Option<&[serde_json::Value]>,
) {
    if let Some(content) = content {
        errors.check(limits::validate_message_content(content));
    }
    if let Some(embeds) = embeds {
        errors.extend(limits::validate_embeds(embeds));
    }
    if let Some(flags) = flags
        && !CREATE_FLAGS.contains(flags)
    {
        errors.push(FormError::new(
            vec![PathSegment::field("flags")],
            "BASE_TYPE_INVALID",
            "Only SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE and IS_COMPONENTS_V2 can be set.",
        ));
    }
    if let Some(allowed) = allowed_mentions {
        mentions::validate_allowed_mentions(allowed, errors);
    }
    let v2 = flags.is_some_and(|f| f.contains(MessageFlags::IS_COMPONENTS_V2));
    if let Some(components) = components {
        components::validate(errors, components, v2);
    }
    if v2 {
        components::validate_v2_legacy(errors, content.unwrap_or_default(), embeds.unwrap_or_default());
    }
}

/// Embeds as Discord keeps them: always `rich`, without the parts only Discord may fill in
/// (provider, video, image sizes and proxy URLs).
pub(crate) fn sanitize_embeds(embeds: Vec<Embed>) -> Vec<Embed> {
    embeds
        .into_iter()
        .map(|mut e| {
            e.kind = Some("rich".to_owned());
            e.provider = None;
            e.video = None;
            for media in [&mut e.image, &mut e.thumbnail].into_iter().flatten() {
                media.proxy_url = None;
                media.height = None;
                media.width = None;
            }
            if let Some(footer) = &mut e.footer {
                footer.proxy_icon_url = None;
            }
            if let Some(author) = &mut e.author {
                author.proxy_icon_url = None;
            }
            e
        })
        .collect()
}

/// Nothing to show: blank content, no embeds, no components, no files and no forwarded message
/// (50006).
pub(crate) fn is_empty(record: &MessageRecord) -> bool {
    record.content.trim().is_empty()
        && record.embeds.is_empty()
        && record.components.is_empty()
        && record.attachments.is_empty()
        && record.message_snapshots.is_empty()
}

/// Message types that are system notices rather than something a user wrote.
pub(crate) fn is_system(kind: MessageType) -> bool {
    !matches!(
        kind,
        MessageType::Default | MessageType::Reply | MessageType::ChatInputCommand | MessageType::ContextMenuCommand
    )
}

/// The id just below every message created at or after `at`, for paging forward in time.
fn id_before(at: Timestamp) -> Id<guildhall_model::id::marker::MessageMarker> {
    let ms = u64::try_from(at.as_millis()).unwrap_or(0);
    let raw = snowflake::sentinel_for_time(ms).saturating_sub(1);
    Id::new_checked(raw).unwrap_or_else(|| Id::from_nonzero(std::num::NonZeroU64::MIN))
}

/// A resolved reply.
struct Reply {
    reference: MessageReference,
    /// The replied-to author, unless it was a webhook.
    author: Option<Id<UserMarker>>,
}

impl Core {
    /// `POST /channels/{id}/messages` ⇒ the message, MESSAGE_CREATE. A `message_reference`
    /// makes a reply (type 0) or a forward (type 1, see `forward`).
    pub async fn create_message(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        mut request: CreateMessage,
    ) -> Result<Message> {
        let mut errors = FormErrors::new();
        let files = std::mem::take(&mut request.files);
        let requests = request.attachments.take().unwrap_or_default();
        attachments::validate(&mut errors, &requests, &files)?;
        validate_body(
            &mut errors,
            request.content.as_deref(),
            request.embeds.as_deref(),
            request.flags,
            request.allowed_mentions.as_ref(),
            request.components.as_deref(),
        );
        if let Some(nonce) = &request.nonce {
            errors.check(limits::validate_nonce(nonce));
        }
        let forward = request.message_reference.as_ref().filter(|r| r.kind == Some(MessageReferenceType::Forward));
        if let Some(reference) = &request.message_reference {
            let at = |field| vec![PathSegment::field("message_reference"), PathSegment::field(field)];
            if reference.kind.is_some_and(|k| matches!(k, MessageReferenceType::Unknown(_))) {
                errors.push(FormError::new(at("type"), codes::BASE_TYPE_CHOICES, "Value must be one of (0, 1)."));
            }
            if reference.message_id.is_none() {
                errors.push(FormError::required(&at("message_id")));
            }
            if forward.is_some() {
                if reference.channel_id.is_none() {
                    errors.push(FormError::required(&at("channel_id")));
                }
                super::forward::validate_alone(&mut errors, &request, &files);
            }
        }
        errors.into_result()?;

        let access = self.message_channel(actor, channel_id).await?;
        if !access.channel.kind.is_text_capable() {
            return Err(Error::code(Code::NonTextChannel));
        }
        access.require(Permissions::SEND_MESSAGES)?;
        if !files.is_empty() {
            access.require(Permissions::ATTACH_FILES)?;
        }
        let files = self.prepare_files(channel_id, files, &requests);
        let mut record = MessageRecord::new(
            self.next_id(),
            channel_id,
            access.guild_id(),
            actor.id(),
            request.content.unwrap_or_default(),
        );
        record.embeds = sanitize_embeds(request.embeds.unwrap_or_default());
        record.components = request.components.unwrap_or_default();
        record.flags = request.flags.unwrap_or_default();
        record.attachments = files.iter().map(|(a, _)| a.clone()).collect();
        if forward.is_none() && is_empty(&record) {
            return Err(Error::code(Code::EmptyMessage));
        }
        let reply = match (&request.message_reference, forward) {
            (_, Some(reference)) => {
                let (reference, snapshot) = self.forward_snapshot(actor, reference).await?;
                record.message_reference = Some(reference);
                record.message_snapshots = vec![snapshot];
                record.flags |= MessageFlags::HAS_SNAPSHOT;
                None
            }
            (Some(reference), None) => self.reply(&access, reference).await?,
            (None, None) => None,
        };
        self.check_slowmode(actor, &access).await?;
        if request.enforce_nonce == Some(true)
            && let Some(nonce) = &request.nonce
            && let Some(earlier) = self.earlier_with_nonce(actor, channel_id, nonce).await?
        {
            let options = RenderOptions { viewer: Some(actor.id()), nonce: true, channel_type: None, fresh: false };
            return self.render_message(&earlier, options).await;
        }

        let policy = Policy::new(request.allowed_mentions.as_ref(), DefaultParse::All);
        let author = Author {
            guild_id: access.guild_id(),
            roles: access.guild.as_ref().map_or(&[], |g| g.roles.as_slice()),
            can_mention_everyone: access.permissions.contains(Permissions::MENTION_EVERYONE),
        };
        let mentioned =
            self.resolve_mentions(&record.content, &policy, author, reply.as_ref().and_then(|r| r.author)).await?;
        // Without SEND_TTS_MESSAGES Discord quietly sends a normal message.
        record.tts = request.tts == Some(true) && access.permissions.contains(Permissions::SEND_TTS_MESSAGES);
        record.nonce = request.nonce;
        record.mention_user_ids = mentioned.users;
        record.mention_role_ids = mentioned.roles;
        record.mention_everyone = mentioned.everyone;
        if let Some(reply) = reply {
            record.kind = MessageType::Reply;
            record.message_reference = Some(reply.reference);
        }
        self.insert_message_with_files(&access.channel, &record, &files).await
    }

    /// Stores a new message and publishes MESSAGE_CREATE; returns it as the create response
    /// shows it (with the nonce).
    pub(crate) async fn insert_message(&self, channel: &Channel, record: &MessageRecord) -> Result<Message> {
        self.insert_message_with_files(channel, record, &NewFiles::new()).await
    }

    /// [`Core::insert_message`] for a message with uploaded files: the files are stored first,
    /// and discarded again if the message cannot be.
    pub(crate) async fn insert_message_with_files(
        &self,
        channel: &Channel,
        record: &MessageRecord,
        files: &NewFiles,
    ) -> Result<Message> {
        self.store_files(files).await?;
        if let Err(e) = self.store().create_message(record).await {
            self.discard_files(files).await;
            return Err(e.into());
        }
        self.publish_message(channel, record, "MESSAGE_CREATE").await
    }

    /// The reply a `message_reference` asks for: READ_MESSAGE_HISTORY (160002), a message of
    /// this channel that is not a system notice. A missing one is an error unless
    /// `fail_if_not_exists` is false, which sends a plain message instead.
    async fn reply(&self, access: &ChannelAccess, reference: &MessageReference) -> Result<Option<Reply>> {
        if !access.permissions.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Err(Error::code(Code::ReplyWithoutHistory));
        }
        let channel_id = access.channel.id;
        let here = reference.channel_id.is_none_or(|c| c == channel_id)
            && reference.guild_id.is_none_or(|g| Some(g) == access.guild_id());
        let target = match (here, reference.message_id) {
            (true, Some(id)) => self.store().message(channel_id, id).await?,
            _ => None,
        };
        let Some(target) = target else {
            if reference.fail_if_not_exists == Some(false) {
                return Ok(None);
            }
            return Err(Error::field(FormError::new(
                vec![PathSegment::field("message_reference")],
                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                "Unknown message",
            )));
        };
        if is_system(target.kind) {
            return Err(Error::field(FormError::new(
                vec![PathSegment::field("message_reference")],
                "REPLIES_CANNOT_REFERENCE_SYSTEM_MESSAGE",
                "Cannot reply to a system message",
            )));
        }
        Ok(Some(Reply {
            reference: MessageReference {
                kind: Some(MessageReferenceType::Default),
                message_id: Some(target.id),
                channel_id: Some(channel_id),
                guild_id: access.guild_id(),
                fail_if_not_exists: None,
            },
            author: target.webhook_id.is_none().then_some(target.author_id),
        }))
    }

    /// Slowmode (`rate_limit_per_user`): one message per window per member, 20016 otherwise.
    /// Bots and members with MANAGE_MESSAGES, MANAGE_CHANNELS or BYPASS_SLOWMODE are exempt.
    async fn check_slowmode(&self, actor: &Actor, access: &ChannelAccess) -> Result<()> {
        let seconds = access.channel.rate_limit_per_user.unwrap_or(0);
        let exempt = Permissions::MANAGE_MESSAGES | Permissions::MANAGE_CHANNELS | Permissions::BYPASS_SLOWMODE;
        if seconds == 0 || access.guild.is_none() || actor.is_bot() || access.permissions.intersects(exempt) {
            return Ok(());
        }
        let since = Timestamp::from_millis(self.now().as_millis() - i64::from(seconds) * 1000);
        let mine = self.newest_since(access.channel.id, since, |m| m.author_id == actor.id()).await?;
        match mine {
            Some(last) => {
                // Free again `seconds` after the member's last message.
                let free_at = last.timestamp.as_millis() + i64::from(seconds) * 1000;
                let wait_ms = u64::try_from(free_at - self.now().as_millis()).unwrap_or(0).max(1);
                Err(Error::rate_limited(Code::SlowmodeRateLimited, std::time::Duration::from_millis(wait_ms)))
            }
            None => Ok(()),
        }
    }

    /// The actor's message with `nonce` from the last few minutes (`enforce_nonce`).
    async fn earlier_with_nonce(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        nonce: &Nonce,
    ) -> Result<Option<MessageRecord>> {
        let since = Timestamp::from_millis(self.now().as_millis() - NONCE_WINDOW_MS);
        self.newest_since(channel_id, since, |m| {
            m.author_id == actor.id() && m.webhook_id.is_none() && m.nonce.as_ref() == Some(nonce)
        })
        .await
    }

    /// The newest live message of the channel created at or after `since` that `keep` accepts.
    /// Pages forward from `since`, so the work is bounded by the traffic inside the window.
    async fn newest_since(
        &self,
        channel_id: Id<ChannelMarker>,
        since: Timestamp,
        keep: impl Fn(&MessageRecord) -> bool,
    ) -> Result<Option<MessageRecord>> {
        const PAGE: u32 = 100;
        let mut cursor = id_before(since);
        let mut found = None;
        loop {
            // Each page is newest first and later pages are newer, so the last hit wins.
            let page = self.store().messages(channel_id, MessageAnchor::After(cursor), PAGE).await?;
            if let Some(hit) = page.iter().find(|m| keep(m)) {
                found = Some(hit.clone());
            }
            match page.first() {
                Some(newest) if page.len() == PAGE as usize => cursor = newest.id,
                _ => return Ok(found),
            }
        }
    }
}
