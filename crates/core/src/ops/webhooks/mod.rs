//! Webhooks (protocol.md §3.4 "webhooks", §3.6 "Webhook"; WEBHOOKS_UPDATE §2.1, intent
//! GUILD_WEBHOOKS): management with MANAGE_WEBHOOKS, the token routes that need no
//! authentication, execution in `execute` and the webhook's own messages in `messages`.

mod execute;
mod messages;

use std::collections::HashMap;

use guildhall_bus::Event;
use guildhall_model::channel::ChannelType;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker, WebhookMarker};
use guildhall_model::user::User;
use guildhall_model::webhook::{Webhook, WebhookType};
use guildhall_model::{Id, Nullable};
use guildhall_store::WebhookRecord;
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

pub use execute::{ExecuteQuery, ExecuteWebhook};
pub use messages::WebhookMessageQuery;

use super::views::image_hash;
use super::{Actor, ChannelAccess, Code, Core, Error, Result, views};
use crate::limits::{self, FormError, FormErrors, PathSegment, codes};

/// `POST /channels/{id}/webhooks`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateWebhook {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub avatar: Option<Nullable<String>>,
}

/// `PATCH /webhooks/{id}`; the token route ignores `channel_id`, as Discord does.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateWebhook {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub avatar: Option<Nullable<String>>,
    pub channel_id: Option<Id<ChannelMarker>>,
}

/// Webhooks one channel may have (30007).
const WEBHOOKS_PER_CHANNEL: usize = 15;
/// Length of a generated webhook token (Discord's are 68 characters).
const TOKEN_LEN: usize = 68;
/// Words a webhook name may not contain, in any case.
const NAME_FORBIDDEN: [&str; 2] = ["clyde", "discord"];

/// Checks a webhook name (or an execution's `username` override): 1–80 characters, without
/// "clyde" or "discord" (Discord reports those like usernames).
fn validate_name(field: &'static str, name: &str) -> Result<(), FormError> {
    let path = [PathSegment::field(field)];
    limits::validate_length(&path, name, limits::WEBHOOK_NAME_MIN, limits::WEBHOOK_NAME_MAX)?;
    let lower = name.to_lowercase();
    match NAME_FORBIDDEN.iter().find(|bad| lower.contains(*bad)) {
        Some(bad) => Err(FormError::new(
            path.to_vec(),
            codes::USERNAME_INVALID_CONTAINS,
            format!("Username cannot contain \"{bad}\""),
        )),
        None => Ok(()),
    }
}

/// Channels that can hold webhooks.
const fn can_host(kind: ChannelType) -> bool {
    matches!(
        kind,
        ChannelType::GuildText
            | ChannelType::GuildAnnouncement
            | ChannelType::GuildVoice
            | ChannelType::GuildStageVoice
            | ChannelType::GuildForum
            | ChannelType::GuildMedia
    )
}

/// Validated `name` and `avatar` changes; `avatar` is `Some(None)` to clear.
struct Changes {
    name: Option<String>,
    avatar: Option<Option<String>>,
}

fn validate_changes(name: Option<String>, avatar: Option<Nullable<String>>) -> Result<Changes> {
    let mut errors = FormErrors::new();
    if let Some(name) = &name {
        errors.check(validate_name("name", name));
    }
    let avatar = match avatar {
        None => None,
        Some(Nullable::Null) => Some(None),
        Some(Nullable::Value(uri)) => match image_hash("avatar", &uri) {
            Ok(hash) => Some(Some(hash)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    errors.into_result()?;
    Ok(Changes { name, avatar })
}

impl Changes {
    fn apply(self, record: &mut WebhookRecord) {
        if let Some(name) = self.name {
            record.name = name;
        }
        if let Some(avatar) = self.avatar {
            record.avatar = avatar;
        }
    }
}

/// A webhook on the wire: managers see its creator; token routes do not.
fn view(record: &WebhookRecord, creator: Option<User>) -> Webhook {
    Webhook {
        id: record.id,
        kind: record.kind,
        guild_id: record.guild_id,
        channel_id: Some(record.channel_id),
        user: creator,
        name: Some(record.name.clone()),
        avatar: record.avatar.clone(),
        token: record.token.clone(),
        application_id: record.application_id,
        url: None,
    }
}

impl Core {
    /// Renders webhooks with their creators.
    async fn webhook_views(&self, records: &[WebhookRecord]) -> Result<Vec<Webhook>> {
        let mut ids: Vec<Id<UserMarker>> = records.iter().filter_map(|r| r.creator_id).collect();
        ids.sort();
        ids.dedup();
        let users: HashMap<_, _> = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store().users(&ids).await?.into_iter().map(|u| (u.user.id, views::public_user(&u.user))).collect()
        };
        Ok(records.iter().map(|r| view(r, r.creator_id.and_then(|id| users.get(&id).cloned()))).collect())
    }

    async fn webhook_view(&self, record: &WebhookRecord) -> Result<Webhook> {
        let mut out = self.webhook_views(std::slice::from_ref(record)).await?;
        out.pop().ok_or_else(|| Error::internal(&"rendering lost a webhook"))
    }

    /// A channel that can take a webhook from the actor: a guild channel of a hosting type
    /// (50024 otherwise) where the actor has MANAGE_WEBHOOKS.
    async fn webhook_channel(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<ChannelAccess> {
        let access = self.channel_access(actor, channel_id).await?;
        if access.guild.is_none() || !can_host(access.channel.kind) {
            return Err(Error::code(Code::WrongChannelType));
        }
        access.require(Permissions::MANAGE_WEBHOOKS)?;
        Ok(access)
    }

    /// A webhook the actor manages: 10015 if unknown (or its channel is gone), the channel's
    /// access rules, MANAGE_WEBHOOKS there.
    async fn managed_webhook(&self, actor: &Actor, id: Id<WebhookMarker>) -> Result<(WebhookRecord, ChannelAccess)> {
        let record = self.store().webhook(id).await?.ok_or_else(|| Error::code(Code::UnknownWebhook))?;
        let channel =
            self.store().channel(record.channel_id).await?.ok_or_else(|| Error::code(Code::UnknownWebhook))?;
        let access = self.channel_access_in(actor, channel).await?;
        access.require(Permissions::MANAGE_WEBHOOKS)?;
        Ok((record, access))
    }

    /// A webhook addressed by id and token: 10015 if unknown, 50027 if the token is wrong
    /// (compared in constant time).
    pub(crate) async fn token_webhook(&self, id: Id<WebhookMarker>, token: &str) -> Result<WebhookRecord> {
        let record = self.store().webhook(id).await?.ok_or_else(|| Error::code(Code::UnknownWebhook))?;
        let matches = record.token.as_deref().is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())));
        if matches { Ok(record) } else { Err(Error::code(Code::InvalidWebhookToken)) }
    }

    async fn webhooks_updated(&self, guild_id: Option<Id<GuildMarker>>, channel_id: Id<ChannelMarker>) {
        let Some(guild_id) = guild_id else { return };
        let data = serde_json::json!({ "guild_id": guild_id, "channel_id": channel_id });
        self.publish(Event::guild("WEBHOOKS_UPDATE", guild_id, Some(channel_id), Intents::GUILD_WEBHOOKS, data)).await;
    }

    /// `POST /channels/{id}/webhooks` ⇒ the webhook with its token, WEBHOOKS_UPDATE.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        request: CreateWebhook,
    ) -> Result<Webhook> {
        let name = request.name.ok_or_else(|| Error::field(FormError::required(&[PathSegment::field("name")])))?;
        let changes = validate_changes(Some(name), request.avatar)?;
        let access = self.webhook_channel(actor, channel_id).await?;
        if self.store().channel_webhooks(channel_id).await?.len() >= WEBHOOKS_PER_CHANNEL {
            return Err(Error::code(Code::MaxWebhooks));
        }
        let mut record = WebhookRecord {
            id: self.next_id(),
            kind: WebhookType::Incoming,
            guild_id: access.guild_id(),
            channel_id,
            creator_id: Some(actor.id()),
            name: String::new(),
            avatar: None,
            token: Some(Alphanumeric.sample_string(&mut rand::rng(), TOKEN_LEN)),
            application_id: actor.application_id,
        };
        changes.apply(&mut record);
        self.store().create_webhook(&record).await?;
        self.webhooks_updated(record.guild_id, channel_id).await;
        self.webhook_view(&record).await
    }

    /// `GET /channels/{id}/webhooks`: MANAGE_WEBHOOKS in the channel.
    pub async fn channel_webhooks(&self, actor: &Actor, channel_id: Id<ChannelMarker>) -> Result<Vec<Webhook>> {
        self.webhook_channel(actor, channel_id).await?;
        let records = self.store().channel_webhooks(channel_id).await?;
        self.webhook_views(&records).await
    }

    /// `GET /guilds/{id}/webhooks`: MANAGE_WEBHOOKS guild-wide, and only the webhooks of
    /// channels where the actor may also view and manage webhooks: a listed webhook carries its
    /// token, which posts into its channel.
    pub async fn guild_webhooks(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<Vec<Webhook>> {
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_WEBHOOKS)?;
        let channels = self.store().guild_channels(guild_id).await?;
        let needed = Permissions::VIEW_CHANNEL | Permissions::MANAGE_WEBHOOKS;
        let mut records = self.store().guild_webhooks(guild_id).await?;
        records.retain(|hook| {
            channels
                .iter()
                .find(|c| c.id == hook.channel_id)
                .is_some_and(|c| access.channel_permissions(c, None).contains(needed))
        });
        self.webhook_views(&records).await
    }

    /// `GET /webhooks/{id}`.
    pub async fn webhook(&self, actor: &Actor, id: Id<WebhookMarker>) -> Result<Webhook> {
        let (record, _) = self.managed_webhook(actor, id).await?;
        self.webhook_view(&record).await
    }

    /// `PATCH /webhooks/{id}` ⇒ the webhook, WEBHOOKS_UPDATE (for both channels on a move).
    /// Moving needs MANAGE_WEBHOOKS in the new channel too, which must be in the same guild.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: Id<WebhookMarker>,
        request: UpdateWebhook,
    ) -> Result<Webhook> {
        let changes = validate_changes(request.name, request.avatar)?;
        let (mut record, _) = self.managed_webhook(actor, id).await?;
        let old_channel = record.channel_id;
        if let Some(target) = request.channel_id.filter(|c| *c != old_channel) {
            let access = self.webhook_channel(actor, target).await?;
            if access.guild_id() != record.guild_id {
                return Err(Error::code(Code::UnknownChannel));
            }
            if self.store().channel_webhooks(target).await?.len() >= WEBHOOKS_PER_CHANNEL {
                return Err(Error::code(Code::MaxWebhooks));
            }
            record.channel_id = target;
        }
        changes.apply(&mut record);
        self.store().update_webhook(&record).await?;
        self.webhooks_updated(record.guild_id, old_channel).await;
        if record.channel_id != old_channel {
            self.webhooks_updated(record.guild_id, record.channel_id).await;
        }
        self.webhook_view(&record).await
    }

    /// `DELETE /webhooks/{id}` ⇒ 204, WEBHOOKS_UPDATE.
    pub async fn delete_webhook(&self, actor: &Actor, id: Id<WebhookMarker>) -> Result<()> {
        let (record, _) = self.managed_webhook(actor, id).await?;
        self.remove_webhook(&record).await
    }

    async fn remove_webhook(&self, record: &WebhookRecord) -> Result<()> {
        if !self.store().delete_webhook(record.id).await? {
            return Err(Error::code(Code::UnknownWebhook));
        }
        self.webhooks_updated(record.guild_id, record.channel_id).await;
        Ok(())
    }

    /// `GET /webhooks/{id}/{token}`: no authentication; no `user`.
    pub async fn webhook_with_token(&self, id: Id<WebhookMarker>, token: &str) -> Result<Webhook> {
        Ok(view(&self.token_webhook(id, token).await?, None))
    }

    /// `PATCH /webhooks/{id}/{token}`: name and avatar only.
    pub async fn update_webhook_with_token(
        &self,
        id: Id<WebhookMarker>,
        token: &str,
        request: UpdateWebhook,
    ) -> Result<Webhook> {
        let changes = validate_changes(request.name, request.avatar)?;
        let mut record = self.token_webhook(id, token).await?;
        changes.apply(&mut record);
        self.store().update_webhook(&record).await?;
        self.webhooks_updated(record.guild_id, record.channel_id).await;
        Ok(view(&record, None))
    }

    /// `DELETE /webhooks/{id}/{token}` ⇒ 204.
    pub async fn delete_webhook_with_token(&self, id: Id<WebhookMarker>, token: &str) -> Result<()> {
        let record = self.token_webhook(id, token).await?;
        self.remove_webhook(&record).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("name", "Build bot").is_ok());
        assert_eq!(validate_name("name", "").map_err(|e| e.code()), Err(codes::BASE_TYPE_BAD_LENGTH));
        assert_eq!(validate_name("name", &"x".repeat(81)).map_err(|e| e.code()), Err(codes::BASE_TYPE_BAD_LENGTH));
        for bad in ["Clyde", "my discord hook", "CLYDEbot"] {
            assert_eq!(validate_name("username", bad).map_err(|e| e.code()), Err(codes::USERNAME_INVALID_CONTAINS));
        }
    }

    #[test]
    fn avatars_hash_like_discord() {}
}
