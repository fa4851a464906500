//! New objects with the defaults Discord gives them, so every creation path (REST, seed, the
//! web client later) emits the same keys. Voice channels always carry `bitrate` and
//! `user_limit` because discord.py reads them unconditionally (client-libraries.md §1.3).

use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::flags::ChannelFlags;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker};
use guildhall_model::{Id, Nullable};

/// Default voice bitrate (bits per second).
pub const VOICE_BITRATE: u32 = 64_000;

/// A guild channel of `kind` with the keys Discord sends for that kind.
pub fn guild_channel(
    id: Id<ChannelMarker>,
    guild: Id<GuildMarker>,
    kind: ChannelType,
    name: impl Into<String>,
    position: i32,
) -> Channel {
    let mut c = Channel::new(id, kind);
    c.guild_id = Some(guild);
    c.name = Some(Nullable::Value(name.into()));
    c.position = Some(position);
    c.permission_overwrites = Some(Vec::new());
    c.flags = Some(ChannelFlags::empty());
    if kind != ChannelType::GuildCategory {
        c.parent_id = Some(Nullable::Null);
        c.nsfw = Some(false);
    }
    if kind.is_text_capable() {
        c.last_message_id = Some(Nullable::Null);
        c.rate_limit_per_user = Some(0);
    }
    if matches!(
        kind,
        ChannelType::GuildText | ChannelType::GuildAnnouncement | ChannelType::GuildForum | ChannelType::GuildMedia
    ) {
        c.topic = Some(Nullable::Null);
    }
    if kind.is_voice() {
        c.bitrate = Some(VOICE_BITRATE);
        c.user_limit = Some(0);
        c.rtc_region = Some(Nullable::Null);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_channels_have_the_keys_discord_py_reads() {
        let c = guild_channel(
            Id::new_checked(2).unwrap(),
            Id::new_checked(1).unwrap(),
            ChannelType::GuildVoice,
            "General",
            0,
        );
        let v = serde_json::to_value(&c).unwrap();
        for key in [
            "id",
            "type",
            "guild_id",
            "name",
            "position",
            "permission_overwrites",
            "bitrate",
            "user_limit",
            "rtc_region",
            "last_message_id",
            "parent_id",
        ] {
            assert!(v.get(key).is_some(), "voice channel lacks {key}");
        }
        assert_eq!(v["bitrate"], 64_000);
    }

    #[test]
    fn text_and_category_shapes() {
        let text = serde_json::to_value(guild_channel(
            Id::new_checked(2).unwrap(),
            Id::new_checked(1).unwrap(),
            ChannelType::GuildText,
            "general",
            0,
        ))
        .unwrap();
        assert_eq!(text["topic"], serde_json::Value::Null);
        assert_eq!(text["last_message_id"], serde_json::Value::Null);
        assert!(text.get("bitrate").is_none());
        let cat = serde_json::to_value(guild_channel(
            Id::new_checked(3).unwrap(),
            Id::new_checked(1).unwrap(),
            ChannelType::GuildCategory,
            "Text Channels",
            0,
        ))
        .unwrap();
        assert!(cat.get("last_message_id").is_none() && cat.get("parent_id").is_none());
    }
}
