//! `POST /guilds` (protocol.md §3.4 "Guilds"; removed for Discord's apps in 2025, kept here so
//! self-hosted users and bots alike can create guilds).
//!
//! `roles` and `channels` refer to each other by placeholder ids chosen by the client: the
//! first role edits @everyone, channel overwrites name role placeholders, a channel's
//! `parent_id` names a category listed before it, and `afk_channel_id`/`system_channel_id`
//! name channel placeholders. Without `channels` the guild gets Discord's defaults: a "Text
//! Channels" category holding `general` (the system channel) and a "Voice Channels" category
//! holding `General`.

use std::collections::HashMap;

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::{Intents, Permissions, SystemChannelFlags};
use guildhall_model::guild::{
    DefaultMessageNotificationLevel, ExplicitContentFilter, Guild, Role, RoleColors, VerificationLevel,
};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, RoleMarker};
use guildhall_model::{Id, Nullable};
use guildhall_store::MemberRecord;
use serde::{Deserialize, Deserializer};

use super::super::channels::{ChannelSettings, apply_settings, check_creatable_kind, normalize_name, sort_group};
use super::super::{Actor, Code, Core, Error, Result};
use super::{GuildCreateOptions, check_levels, render_guild, to_json};
use crate::defaults::guild_channel;
use crate::limits::{self, FormError, FormErrors, PathSegment};
use crate::ops::views::image_hash;

/// Guilds one user may be in when creating another (error 30001).
pub const GUILDS_MAX: usize = 100;

/// A client-chosen id inside a `POST /guilds` body: an integer (or a string of digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placeholder(pub u64);

impl<'de> Deserialize<'de> for Placeholder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Placeholder;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer placeholder id")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Placeholder, E> {
                Ok(Placeholder(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Placeholder, E> {
                u64::try_from(v).map(Placeholder).map_err(|_| E::custom("expected an integer placeholder id"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Placeholder, E> {
                v.parse().map(Placeholder).map_err(|_| E::custom("expected an integer placeholder id"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A role of `POST /guilds`; the first one edits @everyone.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateGuildRole {
    pub id: Option<Placeholder>,
    pub name: Option<String>,
    pub permissions: Option<Permissions>,
    pub color: Option<u32>,
    pub hoist: Option<bool>,
    pub mentionable: Option<bool>,
    pub unicode_emoji: Option<String>,
}

/// An overwrite of a `POST /guilds` channel: `id` is a role placeholder (or, with `type` 1, the
/// creator's user id).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct CreateGuildOverwrite {
    pub id: Placeholder,
    #[serde(rename = "type")]
    pub kind: Option<OverwriteType>,
    pub allow: Option<Permissions>,
    pub deny: Option<Permissions>,
}

/// A channel of `POST /guilds`. `position` is ignored: channels are numbered in list order.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateGuildChannel {
    pub id: Option<Placeholder>,
    pub parent_id: Option<Placeholder>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ChannelType>,
    pub topic: Option<String>,
    pub bitrate: Option<u32>,
    pub user_limit: Option<u32>,
    pub rate_limit_per_user: Option<u32>,
    pub nsfw: Option<bool>,
    pub permission_overwrites: Option<Vec<CreateGuildOverwrite>>,
}

/// `POST /guilds`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateGuild {
    pub name: Option<String>,
    pub icon: Option<String>,
    pub verification_level: Option<VerificationLevel>,
    pub default_message_notifications: Option<DefaultMessageNotificationLevel>,
    pub explicit_content_filter: Option<ExplicitContentFilter>,
    pub roles: Option<Vec<CreateGuildRole>>,
    pub channels: Option<Vec<CreateGuildChannel>>,
    pub afk_channel_id: Option<Placeholder>,
    pub afk_timeout: Option<u32>,
    pub system_channel_id: Option<Placeholder>,
    pub system_channel_flags: Option<SystemChannelFlags>,
}

/// What the body resolves to before anything is written.
struct Plan {
    guild: Guild,
    roles: Vec<Role>,
    channels: Vec<Channel>,
}

fn path(parts: &[PathSegment], field: &'static str) -> Vec<PathSegment> {
    let mut p = parts.to_vec();
    p.push(PathSegment::field(field));
    p
}

/// The roles: @everyone (edited by the first entry) then the others at positions 1, 2, ….
fn plan_roles(
    guild_id: Id<GuildMarker>,
    request: &[CreateGuildRole],
    core: &Core,
    errors: &mut FormErrors,
) -> (Vec<Role>, HashMap<Placeholder, Id<RoleMarker>>) {
    let mut everyone = Role::everyone(guild_id, Permissions::DEFAULT_EVERYONE);
    let mut roles = Vec::new();
    let mut ids = HashMap::new();
    for (index, entry) in request.iter().enumerate() {
        let prefix = [PathSegment::field("roles"), PathSegment::Index(index)];
        if let Some(name) = &entry.name {
            errors.check(limits::validate_role_name(name).map_err(|e| e.prefixed(&prefix)));
        }
        if let Some(color) = entry.color {
            errors.check(limits::validate_range(&path(&prefix, "color"), color, 0, 0xFF_FFFF));
        }
        if index == 0 {
            if let Some(permissions) = entry.permissions {
                everyone.permissions = permissions;
            }
            if let Some(id) = entry.id {
                ids.insert(id, everyone.id);
            }
            continue;
        }
        let color = entry.color.unwrap_or(0);
        let role = Role {
            id: core.next_id(),
            name: entry.name.clone().unwrap_or_else(|| "new role".to_owned()),
            color,
            colors: RoleColors { primary_color: color, secondary_color: None, tertiary_color: None },
            hoist: entry.hoist.unwrap_or(false),
            icon: Some(Nullable::Null),
            unicode_emoji: Some(Nullable::from_option(entry.unicode_emoji.clone())),
            position: i32::try_from(index).unwrap_or(i32::MAX),
            permissions: entry.permissions.unwrap_or(everyone.permissions),
            managed: false,
            mentionable: entry.mentionable.unwrap_or(false),
            tags: None,
            flags: Default::default(),
        };
        if let Some(id) = entry.id {
            ids.insert(id, role.id);
        }
        roles.push(role);
    }
    roles.insert(0, everyone);
    (roles, ids)
}

/// Discord's default layout when no channels are given.
fn default_channels(core: &Core, guild_id: Id<GuildMarker>) -> Vec<Channel> {
    let text_category = guild_channel(core.next_id(), guild_id, ChannelType::GuildCategory, "Text Channels", 0);
    let voice_category = guild_channel(core.next_id(), guild_id, ChannelType::GuildCategory, "Voice Channels", 1);
    let mut general = guild_channel(core.next_id(), guild_id, ChannelType::GuildText, "general", 0);
    general.parent_id = Some(Nullable::Value(text_category.id));
    let mut voice = guild_channel(core.next_id(), guild_id, ChannelType::GuildVoice, "General", 0);
    voice.parent_id = Some(Nullable::Value(voice_category.id));
    vec![text_category, general, voice_category, voice]
}

/// The requested channels, with placeholders resolved; also returns the placeholder map.
fn plan_channels(
    core: &Core,
    actor: &Actor,
    guild_id: Id<GuildMarker>,
    request: &[CreateGuildChannel],
    role_ids: &HashMap<Placeholder, Id<RoleMarker>>,
    errors: &mut FormErrors,
) -> (Vec<Channel>, HashMap<Placeholder, Id<ChannelMarker>>) {
    let mut channels: Vec<Channel> = Vec::new();
    let mut ids = HashMap::new();
    let mut next_position = [0i32; 3];
    for (index, entry) in request.iter().enumerate() {
        let prefix = [PathSegment::field("channels"), PathSegment::Index(index)];
        let kind = entry.kind.unwrap_or(ChannelType::GuildText);
        check_creatable_kind(errors, &prefix, kind);
        let Some(name) = &entry.name else {
            errors.push(FormError::required(&path(&prefix, "name")));
            continue;
        };
        let group = usize::from(sort_group(kind));
        let mut channel =
            guild_channel(core.next_id(), guild_id, kind, normalize_name(kind, name), next_position[group]);
        next_position[group] += 1;
        let settings = ChannelSettings {
            name: Some(name.clone()),
            topic: entry.topic.clone().map(Nullable::Value),
            nsfw: entry.nsfw,
            rate_limit_per_user: entry.rate_limit_per_user,
            bitrate: entry.bitrate,
            user_limit: entry.user_limit,
            ..ChannelSettings::default()
        };
        apply_settings(&mut channel, &settings, &core.voice_servers().regions(), &prefix, errors);
        if let Some(parent) = entry.parent_id {
            let resolved = ids.get(&parent).and_then(|id| channels.iter().find(|c: &&Channel| c.id == *id));
            match resolved {
                Some(p) if p.kind == ChannelType::GuildCategory && kind != ChannelType::GuildCategory => {
                    channel.parent_id = Some(Nullable::Value(p.id));
                }
                _ => errors.push(FormError::new(
                    path(&prefix, "parent_id"),
                    "CHANNEL_PARENT_INVALID",
                    "Parent must be a category listed before this channel.",
                )),
            }
        }
        let mut overwrites = Vec::new();
        for (i, o) in entry.permission_overwrites.iter().flatten().enumerate() {
            let o_path =
                [prefix.as_slice(), &[PathSegment::field("permission_overwrites"), PathSegment::Index(i)]].concat();
            let target = match o.kind.unwrap_or(OverwriteType::Role) {
                OverwriteType::Role => role_ids.get(&o.id).map(|r| (r.cast(), OverwriteType::Role)),
                OverwriteType::Member if o.id.0 == actor.id().get() => Some((actor.id().cast(), OverwriteType::Member)),
                _ => None,
            };
            match target {
                Some((id, kind)) => overwrites.push(PermissionOverwrite {
                    id,
                    kind,
                    allow: o.allow.unwrap_or_default(),
                    deny: o.deny.unwrap_or_default(),
                }),
                None => errors.push(FormError::new(
                    path(&o_path, "id"),
                    "UNKNOWN_OVERWRITE_TARGET",
                    "Overwrites must name a role placeholder or the creator.",
                )),
            }
        }
        channel.permission_overwrites = Some(overwrites);
        if let Some(id) = entry.id {
            ids.insert(id, channel.id);
        }
        channels.push(channel);
    }
    (channels, ids)
}

/// A guild-level channel reference (`afk_channel_id`, `system_channel_id`) by placeholder.
fn channel_reference(
    errors: &mut FormErrors,
    field: &'static str,
    placeholder: Option<Placeholder>,
    ids: &HashMap<Placeholder, Id<ChannelMarker>>,
    channels: &[Channel],
    kind: ChannelType,
) -> Option<Id<ChannelMarker>> {
    let placeholder = placeholder?;
    let found = ids.get(&placeholder).and_then(|id| channels.iter().find(|c| c.id == *id));
    match found {
        Some(c) if c.kind == kind => Some(c.id),
        _ => {
            errors.push(FormError::new(
                vec![PathSegment::field(field)],
                "CHANNEL_INVALID",
                "Must name a channel placeholder of the right type.",
            ));
            None
        }
    }
}

impl Core {
    fn plan_guild(&self, actor: &Actor, request: &CreateGuild) -> Result<Plan> {
        let mut errors = FormErrors::new();
        match &request.name {
            Some(name) => errors.check(limits::validate_guild_name(name)),
            None => errors.push(FormError::required(&[PathSegment::field("name")])),
        }
        check_levels(
            &mut errors,
            request.verification_level,
            request.default_message_notifications,
            request.explicit_content_filter,
            request.afk_timeout,
            request.system_channel_flags,
        );
        let icon = request.icon.as_deref().and_then(|uri| image_hash("icon", uri).map_err(|e| errors.push(e)).ok());
        // The first entry edits @everyone, so the list may hold one more than the role cap.
        if request.roles.as_ref().is_some_and(|r| r.len() > limits::ROLES_MAX + 1) {
            return Err(Error::code(Code::MaxRoles));
        }
        let guild_id: Id<GuildMarker> = self.next_id();
        let (roles, role_ids) = plan_roles(guild_id, request.roles.as_deref().unwrap_or_default(), self, &mut errors);
        let requested = request.channels.as_deref().filter(|c| !c.is_empty());
        if requested.is_some_and(|c| c.len() > limits::CHANNELS_MAX) {
            return Err(Error::code(Code::MaxChannels));
        }
        let (channels, system, afk) = match requested {
            Some(list) => {
                let (channels, ids) = plan_channels(self, actor, guild_id, list, &role_ids, &mut errors);
                let system = channel_reference(
                    &mut errors,
                    "system_channel_id",
                    request.system_channel_id,
                    &ids,
                    &channels,
                    ChannelType::GuildText,
                );
                let afk = channel_reference(
                    &mut errors,
                    "afk_channel_id",
                    request.afk_channel_id,
                    &ids,
                    &channels,
                    ChannelType::GuildVoice,
                );
                (channels, system, afk)
            }
            None => {
                let channels = default_channels(self, guild_id);
                let general = channels.iter().find(|c| c.kind == ChannelType::GuildText).map(|c| c.id);
                (channels, general, None)
            }
        };
        errors.into_result()?;

        let mut guild = Guild::new(guild_id, request.name.clone().unwrap_or_default(), actor.id());
        guild.icon = icon;
        guild.verification_level = request.verification_level.unwrap_or(guild.verification_level);
        guild.default_message_notifications =
            request.default_message_notifications.unwrap_or(guild.default_message_notifications);
        guild.explicit_content_filter = request.explicit_content_filter.unwrap_or(guild.explicit_content_filter);
        guild.afk_timeout = request.afk_timeout.unwrap_or(guild.afk_timeout);
        guild.system_channel_flags = request.system_channel_flags.unwrap_or(guild.system_channel_flags);
        guild.system_channel_id = system;
        guild.afk_channel_id = afk;
        Ok(Plan { guild, roles, channels })
    }

    /// `POST /guilds`: the actor becomes owner and only member; fires GUILD_CREATE to the
    /// actor. 30001 when the actor is already in [`GUILDS_MAX`] guilds.
    pub async fn create_guild(&self, actor: &Actor, request: CreateGuild) -> Result<Guild> {
        let plan = self.plan_guild(actor, &request)?;
        if self.store().guild_ids_for_user(actor.id()).await?.len() >= GUILDS_MAX {
            return Err(Error::code(Code::MaxGuilds));
        }
        let guild_id = plan.guild.id;
        let store = self.store();
        // The owner's membership is written last: until then the guild is invisible to
        // everyone, so a failure halfway leaves nothing anyone can see.
        store.create_guild(&plan.guild).await?;
        for role in &plan.roles {
            store.create_role(guild_id, role).await?;
        }
        for channel in &plan.channels {
            store.create_channel(channel).await?;
        }
        store.add_member(&MemberRecord::new(guild_id, actor.id(), self.now())).await?;

        let payload = self.guild_create_payload(guild_id, actor.id(), GuildCreateOptions::default()).await?;
        self.publish(Event::users("GUILD_CREATE", vec![actor.id()], Intents::GUILDS, to_json(&payload)?)).await;
        Ok(render_guild(plan.guild, plan.roles))
    }
}
