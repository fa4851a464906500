//! Guilds: create, read, modify, delete (protocol.md §3.4 "Guilds", object shape §3.6, events
//! §2.1).
//!
//! Reading or changing a guild needs membership (10004 otherwise, see [`Core::guild_access`]);
//! modifying needs MANAGE_GUILD, transferring ownership and deleting need ownership.
//! GUILD_UPDATE goes to every member; GUILD_DELETE (without `unavailable`, meaning "you are no
//! longer in it") to every member of a deleted guild.

mod create;
mod payload;

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::{Intents, Permissions, SystemChannelFlags};
use guildhall_model::guild::{DefaultMessageNotificationLevel, ExplicitContentFilter, Guild, VerificationLevel};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_model::{Id, Nullable};
use serde::{Deserialize, Serialize};

pub use create::{CreateGuild, CreateGuildChannel, CreateGuildOverwrite, CreateGuildRole, GUILDS_MAX, Placeholder};
pub use payload::{DEFAULT_LARGE_THRESHOLD, GuildCreateOptions, render_guild};

use super::views::image_hash;
use super::{Actor, Code, Core, Error, Result};
use crate::limits::{self, FormError, FormErrors, PathSegment};

/// Guild `description`, longest.
pub const DESCRIPTION_MAX: usize = 300;

/// The locales `preferred_locale` may take (Discord's list of client locales).
pub const LOCALES: [&str; 34] = [
    "ar", "bg", "cs", "da", "de", "el", "en-GB", "en-US", "es-419", "es-ES", "fi", "fr", "he", "hi", "hr", "hu", "id",
    "it", "ja", "ko", "lt", "nl", "no", "pl", "pt-BR", "ro", "ru", "sv-SE", "th", "tr", "uk", "vi", "zh-CN", "zh-TW",
];

/// The guild features a guild's managers may turn on and off; every other feature is granted
/// by the platform and left as it is.
pub const MUTABLE_FEATURES: [&str; 4] = ["COMMUNITY", "DISCOVERABLE", "INVITES_DISABLED", "RAID_ALERTS_DISABLED"];

/// `GET /guilds/{id}` query.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct GuildQuery {
    #[serde(default, deserialize_with = "crate::ops::query::opt_bool")]
    pub with_counts: Option<bool>,
}

/// `PATCH /guilds/{id}`. A `null` for a field that cannot be empty leaves it unchanged.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateGuild {
    pub name: Option<String>,
    pub verification_level: Option<VerificationLevel>,
    pub default_message_notifications: Option<DefaultMessageNotificationLevel>,
    pub explicit_content_filter: Option<ExplicitContentFilter>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub afk_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    pub afk_timeout: Option<u32>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub icon: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub splash: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub discovery_splash: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub banner: Option<Nullable<String>>,
    pub owner_id: Option<Id<UserMarker>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub system_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    pub system_channel_flags: Option<SystemChannelFlags>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub rules_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub public_updates_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub safety_alerts_channel_id: Option<Nullable<Id<ChannelMarker>>>,
    pub preferred_locale: Option<String>,
    pub features: Option<Vec<String>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub description: Option<Nullable<String>>,
    pub premium_progress_bar_enabled: Option<bool>,
}

/// JSON for an event body; serializing wire types cannot fail, but a failure must not panic.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(&e))
}

/// BASE_TYPE_CHOICES at `path` unless `raw` is one of `known` (for wire enums, whose unknown
/// values deserialize fine but may not be stored).
pub(crate) fn check_known(errors: &mut FormErrors, path: &[PathSegment], raw: u8, known: impl Iterator<Item = u8>) {
    let known: Vec<u8> = known.collect();
    errors.check(limits::validate_choice(path, raw, &known));
}

/// Checks the enum and flag fields shared by guild create and modify.
pub(crate) fn check_levels(
    errors: &mut FormErrors,
    verification: Option<VerificationLevel>,
    notifications: Option<DefaultMessageNotificationLevel>,
    filter: Option<ExplicitContentFilter>,
    afk_timeout: Option<u32>,
    system_channel_flags: Option<SystemChannelFlags>,
) {
    if let Some(v) = verification {
        let known = VerificationLevel::KNOWN.iter().map(|k| k.value());
        check_known(errors, &[PathSegment::field("verification_level")], v.value(), known);
    }
    if let Some(v) = notifications {
        let known = DefaultMessageNotificationLevel::KNOWN.iter().map(|k| k.value());
        check_known(errors, &[PathSegment::field("default_message_notifications")], v.value(), known);
    }
    if let Some(v) = filter {
        let known = ExplicitContentFilter::KNOWN.iter().map(|k| k.value());
        check_known(errors, &[PathSegment::field("explicit_content_filter")], v.value(), known);
    }
    if let Some(timeout) = afk_timeout {
        errors.check(limits::validate_afk_timeout(timeout));
    }
    if let Some(flags) = system_channel_flags
        && !SystemChannelFlags::all().contains(flags)
    {
        errors.push(FormError::new(
            vec![PathSegment::field("system_channel_flags")],
            limits::codes::BASE_TYPE_CHOICES,
            "Unknown system channel flags.",
        ));
    }
}

/// An image field of a PATCH: `null` clears, a data URI becomes a hash.
fn image_field(
    errors: &mut FormErrors,
    path: &'static str,
    value: &Option<Nullable<String>>,
) -> Option<Option<String>> {
    match value.as_ref()? {
        Nullable::Null => Some(None),
        Nullable::Value(uri) => match image_hash(path, uri) {
            Ok(hash) => Some(Some(hash)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    }
}

/// A `*_channel_id` of a PATCH: `null` clears; an id must name a channel of the guild of one of
/// `kinds` (Discord rejects nonsensical types since 2021).
fn channel_field(
    errors: &mut FormErrors,
    path: &'static str,
    value: Option<Nullable<Id<ChannelMarker>>>,
    channels: &[Channel],
    kinds: &[ChannelType],
) -> Option<Option<Id<ChannelMarker>>> {
    match value? {
        Nullable::Null => Some(None),
        Nullable::Value(id) => match channels.iter().find(|c| c.id == id) {
            Some(c) if kinds.contains(&c.kind) => Some(Some(id)),
            found => {
                let (code, message) = if found.is_some() {
                    ("CHANNEL_TYPE_INVALID", "Channel is not of a valid type for this field.")
                } else {
                    ("CHANNEL_INVALID", "Unknown channel.")
                };
                errors.push(FormError::new(vec![PathSegment::field(path)], code, message));
                None
            }
        },
    }
}

impl Core {
    /// `GET /guilds/{id}`; `with_counts` adds the approximate member and presence counts.
    pub async fn guild(&self, actor: &Actor, guild_id: Id<GuildMarker>, query: GuildQuery) -> Result<Guild> {
        let access = self.guild_access(actor, guild_id).await?;
        let mut guild = render_guild(access.guild, access.roles);
        if query.with_counts == Some(true) {
            guild.approximate_member_count = Some(self.store().member_count(guild_id).await?);
            guild.approximate_presence_count = Some(self.presence_count(guild_id).await?);
        }
        Ok(guild)
    }

    /// `PATCH /guilds/{id}`: MANAGE_GUILD (ownership for `owner_id`); fires GUILD_UPDATE.
    pub async fn update_guild(&self, actor: &Actor, guild_id: Id<GuildMarker>, request: UpdateGuild) -> Result<Guild> {
        let _guard = self.lock(guild_id.get()).await;
        let mut errors = FormErrors::new();
        if let Some(name) = &request.name {
            errors.check(limits::validate_guild_name(name));
        }
        check_levels(
            &mut errors,
            request.verification_level,
            request.default_message_notifications,
            request.explicit_content_filter,
            request.afk_timeout,
            request.system_channel_flags,
        );
        if let Some(locale) = &request.preferred_locale {
            errors.check(limits::validate_choice(&[PathSegment::field("preferred_locale")], locale.as_str(), &LOCALES));
        }
        if let Some(Nullable::Value(description)) = &request.description {
            errors.check(limits::validate_length(
                &[PathSegment::field("description")],
                description,
                0,
                DESCRIPTION_MAX,
            ));
        }
        let icon = image_field(&mut errors, "icon", &request.icon);
        let splash = image_field(&mut errors, "splash", &request.splash);
        let discovery_splash = image_field(&mut errors, "discovery_splash", &request.discovery_splash);
        let banner = image_field(&mut errors, "banner", &request.banner);
        std::mem::take(&mut errors).into_result()?;

        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_GUILD)?;
        let transfer = request.owner_id.filter(|owner| *owner != access.guild.owner_id);
        if let Some(new_owner) = transfer {
            if !access.is_owner() {
                return Err(Error::code(Code::MissingPermissions));
            }
            if self.store().member(guild_id, new_owner).await?.is_none() {
                return Err(Error::code(Code::UnknownMember));
            }
        }

        let channels = self.store().guild_channels(guild_id).await?;
        let text = [ChannelType::GuildText];
        let afk =
            channel_field(&mut errors, "afk_channel_id", request.afk_channel_id, &channels, &[ChannelType::GuildVoice]);
        let system = channel_field(&mut errors, "system_channel_id", request.system_channel_id, &channels, &text);
        let rules = channel_field(&mut errors, "rules_channel_id", request.rules_channel_id, &channels, &text);
        let updates = channel_field(
            &mut errors,
            "public_updates_channel_id",
            request.public_updates_channel_id,
            &channels,
            &text,
        );
        let safety =
            channel_field(&mut errors, "safety_alerts_channel_id", request.safety_alerts_channel_id, &channels, &text);
        errors.into_result()?;

        let mut guild = access.guild;
        if let Some(name) = request.name {
            guild.name = name;
        }
        if let Some(v) = request.verification_level {
            guild.verification_level = v;
        }
        if let Some(v) = request.default_message_notifications {
            guild.default_message_notifications = v;
        }
        if let Some(v) = request.explicit_content_filter {
            guild.explicit_content_filter = v;
        }
        if let Some(v) = request.afk_timeout {
            guild.afk_timeout = v;
        }
        if let Some(v) = request.system_channel_flags {
            guild.system_channel_flags = v;
        }
        if let Some(v) = request.preferred_locale {
            guild.preferred_locale = v;
        }
        if let Some(v) = request.premium_progress_bar_enabled {
            guild.premium_progress_bar_enabled = v;
        }
        if let Some(v) = request.description {
            guild.description = v.into_option();
        }
        if let Some(requested) = request.features {
            // Only the toggleable features change; granted ones stay whatever was asked.
            guild.features.retain(|f| !MUTABLE_FEATURES.contains(&f.as_str()));
            for feature in requested {
                if MUTABLE_FEATURES.contains(&feature.as_str()) && !guild.features.contains(&feature) {
                    guild.features.push(feature);
                }
            }
        }
        for (slot, value) in [
            (&mut guild.icon, icon),
            (&mut guild.splash, splash),
            (&mut guild.discovery_splash, discovery_splash),
            (&mut guild.banner, banner),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        for (slot, value) in [
            (&mut guild.afk_channel_id, afk),
            (&mut guild.system_channel_id, system),
            (&mut guild.rules_channel_id, rules),
            (&mut guild.public_updates_channel_id, updates),
            (&mut guild.safety_alerts_channel_id, safety),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        if let Some(new_owner) = transfer {
            guild.owner_id = new_owner;
        }
        self.store().update_guild(&guild).await?;
        let guild = render_guild(guild, access.roles);
        self.publish_guild_update(&guild).await?;
        Ok(guild)
    }

    /// GUILD_UPDATE to every member.
    pub(crate) async fn publish_guild_update(&self, guild: &Guild) -> Result<()> {
        let data = to_json(guild)?;
        self.publish(Event::guild("GUILD_UPDATE", guild.id, None, Intents::GUILDS, data)).await;
        Ok(())
    }

    /// `DELETE /guilds/{id}`: owner only; GUILD_DELETE `{id}` to every member.
    pub async fn delete_guild(&self, actor: &Actor, guild_id: Id<GuildMarker>) -> Result<()> {
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        if !access.is_owner() {
            return Err(Error::code(Code::MissingPermissions));
        }
        let members: Vec<Id<UserMarker>> = self.guild_members(guild_id).await?.iter().map(|m| m.user_id).collect();
        self.store().delete_guild(guild_id).await?;
        self.forget_guild_voice(guild_id);
        self.publish(Event::users("GUILD_DELETE", members, Intents::GUILDS, serde_json::json!({ "id": guild_id })))
            .await;
        Ok(())
    }
}
