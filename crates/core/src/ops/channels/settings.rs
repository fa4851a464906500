//! The settable fields of a guild channel, shared by every path that creates or modifies one
//! (`POST /guilds` channels, `POST /guilds/{id}/channels`, `PATCH /channels/{id}`), and their
//! validation (protocol.md §3.4 "Channels", §3.6 "Channel").
//!
//! Fields that do not apply to the channel's type (a `bitrate` on a text channel) are ignored,
//! as Discord ignores them.

use guildhall_model::Nullable;
use guildhall_model::channel::{Channel, ChannelType, OverwriteType, PermissionOverwrite, VideoQualityMode};
use guildhall_model::flags::Permissions;
use guildhall_model::id::Id;
use guildhall_model::id::marker::{ChannelMarker, GenericMarker};
use serde::Deserialize;

use crate::limits::{self, FormError, FormErrors, PathSegment};

/// `GET /voice/regions`: one entry per region id (see `VoiceDirectory::regions`), the first
/// marked optimal.
pub fn voice_regions(ids: &[String]) -> Vec<guildhall_model::webhook::VoiceRegion> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| guildhall_model::webhook::VoiceRegion {
            id: id.clone(),
            name: id.clone(),
            optimal: i == 0,
            deprecated: false,
            custom: true,
        })
        .collect()
}

/// The values `default_auto_archive_duration` may take, in minutes.
pub const AUTO_ARCHIVE_DURATIONS: [u32; 4] = [60, 1440, 4320, 10080];

/// Channels per category.
pub const CATEGORY_CHILDREN_MAX: usize = 50;

/// The types a guild channel may be created as (threads come from messages, DMs from users).
pub const CREATABLE_KINDS: [ChannelType; 8] = [
    ChannelType::GuildText,
    ChannelType::GuildVoice,
    ChannelType::GuildCategory,
    ChannelType::GuildAnnouncement,
    ChannelType::GuildStageVoice,
    ChannelType::GuildDirectory,
    ChannelType::GuildForum,
    ChannelType::GuildMedia,
];

/// A guild channel's settable fields. `null` for a field that cannot be empty leaves it as it is.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ChannelSettings {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ChannelType>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub topic: Option<Nullable<String>>,
    pub position: Option<i64>,
    pub nsfw: Option<bool>,
    pub rate_limit_per_user: Option<u32>,
    pub bitrate: Option<u32>,
    pub user_limit: Option<u32>,
    pub permission_overwrites: Option<Vec<OverwriteRequest>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub parent_id: Option<Nullable<Id<ChannelMarker>>>,
    #[serde(default, deserialize_with = "guildhall_model::nullable::present")]
    pub rtc_region: Option<Nullable<String>>,
    pub video_quality_mode: Option<VideoQualityMode>,
    pub default_auto_archive_duration: Option<u32>,
}

/// One permission overwrite in a request; `type` may be left out when the id says it (an
/// existing overwrite, or a role of the guild).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct OverwriteRequest {
    pub id: Id<GenericMarker>,
    #[serde(rename = "type")]
    pub kind: Option<OverwriteType>,
    pub allow: Option<Permissions>,
    pub deny: Option<Permissions>,
}

/// How Discord groups channels when numbering positions: text-like channels, voice-like
/// channels and categories each count from 0.
pub(crate) fn sort_group(kind: ChannelType) -> u8 {
    match kind {
        ChannelType::GuildCategory => 2,
        k if k.is_voice() => 1,
        _ => 0,
    }
}

/// Text-like channels carry topics and auto-archive defaults; their names are normalized.
fn is_text_like(kind: ChannelType) -> bool {
    matches!(
        kind,
        ChannelType::GuildText | ChannelType::GuildAnnouncement | ChannelType::GuildForum | ChannelType::GuildMedia
    )
}

/// Text channel names are lowercase with dashes for spaces, as Discord stores them.
pub(crate) fn normalize_name(kind: ChannelType, name: &str) -> String {
    if !is_text_like(kind) {
        return name.to_owned();
    }
    name.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase()
}

fn at(prefix: &[PathSegment], field: &'static str) -> Vec<PathSegment> {
    let mut path = prefix.to_vec();
    path.push(PathSegment::field(field));
    path
}

/// BASE_TYPE_CHOICES at `prefix.type` unless `kind` is a type guild channels may have.
pub(crate) fn check_creatable_kind(errors: &mut FormErrors, prefix: &[PathSegment], kind: ChannelType) {
    if !CREATABLE_KINDS.contains(&kind) {
        let known: Vec<u8> = CREATABLE_KINDS.iter().map(|k| k.value()).collect();
        errors.check(limits::validate_choice(&at(prefix, "type"), kind.value(), &known));
    }
}

/// Validates `settings` against `channel.kind` and applies every field except `type`,
/// `parent_id` and `permission_overwrites` (those need the guild). `rtc_region` must be one of
/// `regions`. Errors are collected under `prefix`.
pub(crate) fn apply_settings(
    channel: &mut Channel,
    settings: &ChannelSettings,
    regions: &[String],
    prefix: &[PathSegment],
    errors: &mut FormErrors,
) {
    let kind = channel.kind;
    let mut check = |result: Result<(), FormError>| errors.check(result.map_err(|e| e.prefixed(prefix)));
    if let Some(name) = &settings.name {
        check(limits::validate_channel_name(name));
        channel.name = Some(Nullable::Value(normalize_name(kind, name)));
    }
    if let Some(position) = settings.position {
        check(limits::validate_range(&[PathSegment::field("position")], position, 0, i64::from(i32::MAX)));
        channel.position = Some(i32::try_from(position).unwrap_or(0));
    }
    if let Some(topic) = &settings.topic
        && is_text_like(kind)
    {
        match topic {
            Nullable::Value(text) if !text.is_empty() => {
                check(limits::validate_topic(kind, text));
                channel.topic = Some(Nullable::Value(text.clone()));
            }
            _ => channel.topic = Some(Nullable::Null),
        }
    }
    if let Some(nsfw) = settings.nsfw
        && kind != ChannelType::GuildCategory
    {
        channel.nsfw = Some(nsfw);
    }
    let slowmode = matches!(
        kind,
        ChannelType::GuildText
            | ChannelType::GuildVoice
            | ChannelType::GuildStageVoice
            | ChannelType::GuildForum
            | ChannelType::GuildMedia
    );
    if let Some(seconds) = settings.rate_limit_per_user
        && slowmode
    {
        check(limits::validate_rate_limit_per_user(seconds));
        channel.rate_limit_per_user = Some(seconds);
    }
    if kind.is_voice() {
        apply_voice_settings(channel, settings, regions, &mut check);
    }
    if let Some(minutes) = settings.default_auto_archive_duration
        && is_text_like(kind)
    {
        check(limits::validate_choice(
            &[PathSegment::field("default_auto_archive_duration")],
            minutes,
            &AUTO_ARCHIVE_DURATIONS,
        ));
        channel.default_auto_archive_duration = Some(minutes);
    }
}

fn apply_voice_settings(
    channel: &mut Channel,
    settings: &ChannelSettings,
    regions: &[String],
    check: &mut impl FnMut(Result<(), FormError>),
) {
    let kind = channel.kind;
    if let Some(bitrate) = settings.bitrate {
        check(limits::validate_bitrate(kind, bitrate));
        channel.bitrate = Some(bitrate);
    }
    if let Some(user_limit) = settings.user_limit {
        check(limits::validate_user_limit(kind, user_limit));
        channel.user_limit = Some(user_limit);
    }
    match &settings.rtc_region {
        Some(Nullable::Value(region)) => {
            let choices: Vec<&str> = regions.iter().map(String::as_str).collect();
            check(limits::validate_choice(&[PathSegment::field("rtc_region")], region.as_str(), &choices));
            channel.rtc_region = Some(Nullable::Value(region.clone()));
        }
        Some(Nullable::Null) => channel.rtc_region = Some(Nullable::Null),
        None => {}
    }
    if let Some(mode) = settings.video_quality_mode {
        let known: Vec<u8> = VideoQualityMode::KNOWN.iter().map(|k| k.value()).collect();
        check(limits::validate_choice(&[PathSegment::field("video_quality_mode")], mode.value(), &known));
        channel.video_quality_mode = Some(mode);
    }
}

/// The bits an overwrite list changes relative to `old`, per target: what the actor must hold
/// to make the change. Overwrites that are only removed change nothing the actor must hold.
pub(crate) fn changed_bits(old: &[PermissionOverwrite], new: &[PermissionOverwrite]) -> Permissions {
    new.iter().fold(Permissions::empty(), |acc, o| {
        let (allow, deny) = old
            .iter()
            .find(|p| p.id == o.id && p.kind == o.kind)
            .map_or((Permissions::empty(), Permissions::empty()), |p| (p.allow, p.deny));
        acc | (allow ^ o.allow) | (deny ^ o.deny)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_are_normalized() {
        assert_eq!(normalize_name(ChannelType::GuildText, "Hello  World"), "hello-world");
        assert_eq!(normalize_name(ChannelType::GuildVoice, "Hello World"), "Hello World");
        assert_eq!(normalize_name(ChannelType::GuildCategory, "Text Channels"), "Text Channels");
    }

    #[test]
    fn changed_bits_ignore_unchanged_and_removed_overwrites() {
        let id = Id::new_checked(5).unwrap();
        let o = |allow, deny| PermissionOverwrite { id, kind: OverwriteType::Role, allow, deny };
        let old = [o(Permissions::VIEW_CHANNEL, Permissions::SEND_MESSAGES)];
        assert!(changed_bits(&old, &old).is_empty());
        assert!(changed_bits(&old, &[]).is_empty());
        assert_eq!(
            changed_bits(&old, &[o(Permissions::VIEW_CHANNEL, Permissions::empty())]),
            Permissions::SEND_MESSAGES
        );
    }
}
