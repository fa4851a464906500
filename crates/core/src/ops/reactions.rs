//! Reactions (protocol.md §3.4 ".../reactions", events §2.2 MESSAGE_REACTION_*).
//!
//! The `{emoji}` of a route is a unicode emoji or a custom one as `name:id` (`a:name:id` and
//! `<:name:id>` are tolerated, as libraries send them); anything else is 10014 Unknown Emoji.
//! Reading a message's reactions needs READ_MESSAGE_HISTORY; a first reaction with an emoji
//! also needs ADD_REACTIONS and room (20 emojis per message, 30010); removing other people's
//! reactions needs MANAGE_MESSAGES.

use guildhall_model::Id;
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::{ChannelMarker, EmojiMarker, MessageMarker, UserMarker};
use guildhall_model::message::ReactionType;
use guildhall_model::user::User;
use guildhall_store::{MessageRecord, ReactionEmoji};
use serde::Deserialize;

use super::messages::render::partial_emoji;
use super::messages::{Family, channel_event, to_json};
use super::{Actor, ChannelAccess, Code, Core, Error, Result, views};
use crate::limits::{self, FormError, PathSegment};

/// `GET .../reactions/{emoji}` query: `type` 0 normal / 1 burst, `after` a user id, `limit`
/// 1–100 (default 25).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct ReactionUsersQuery {
    #[serde(rename = "type")]
    pub kind: Option<u8>,
    #[serde(default, deserialize_with = "crate::ops::query::opt_anchor")]
    pub after: Option<Id<UserMarker>>,
    pub limit: Option<u32>,
}

/// Longest custom emoji name Discord allows.
const EMOJI_NAME_MAX: usize = 32;

/// Whether `s` can be a unicode emoji: only non-ASCII symbols (with joiners and variation
/// selectors), or a keycap such as `1️⃣`. Without Unicode's emoji table this rejects what is
/// surely not an emoji (words, numbers, blanks) and accepts the rest.
fn is_unicode_emoji(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() || chars.len() > 16 || chars.iter().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match chars.as_slice() {
        [key, rest @ ..] if key.is_ascii() => {
            matches!(key, '0'..='9' | '#' | '*') && matches!(rest, ['\u{20E3}'] | ['\u{FE0F}', '\u{20E3}'])
        }
        _ => chars.iter().all(|c| !c.is_ascii()),
    }
}

/// Parses a route's `{emoji}` (already percent-decoded), or 10014.
pub fn parse_emoji(raw: &str) -> Result<ReactionEmoji> {
    let s = raw.strip_prefix('<').and_then(|r| r.strip_suffix('>')).unwrap_or(raw);
    let Some((left, id)) = s.rsplit_once(':') else {
        return if is_unicode_emoji(s) { Ok(ReactionEmoji::unicode(s)) } else { Err(Error::code(Code::UnknownEmoji)) };
    };
    let (animated, name) = match left.strip_prefix("a:") {
        Some(name) => (true, name),
        None => (false, left.strip_prefix(':').unwrap_or(left)),
    };
    let id: Option<Id<EmojiMarker>> = id.parse::<u64>().ok().and_then(Id::new_checked);
    let valid_name = !name.is_empty()
        && name.chars().count() <= EMOJI_NAME_MAX
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    match id {
        Some(id) if valid_name => Ok(ReactionEmoji::custom(id, name, animated)),
        _ => Err(Error::code(Code::UnknownEmoji)),
    }
}

/// A message the actor can see, in a channel it can see.
struct Target {
    access: ChannelAccess,
    message: MessageRecord,
}

impl Core {
    /// Loads the channel and message; READ_MESSAGE_HISTORY is needed to touch a message's
    /// reactions at all.
    async fn reaction_target(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<Target> {
        let access = self.message_channel(actor, channel_id).await?;
        access.require(Permissions::READ_MESSAGE_HISTORY)?;
        let message = self.load_message(channel_id, message_id).await?;
        Ok(Target { access, message })
    }

    /// The common part of reaction event payloads.
    fn reaction_payload(target: &Target, emoji: &ReactionEmoji) -> Result<serde_json::Value> {
        Ok(serde_json::json!({
            "channel_id": target.message.channel_id,
            "message_id": target.message.id,
            "emoji": to_json(&partial_emoji(emoji))?,
        }))
    }

    /// `PUT .../reactions/{emoji}/@me` ⇒ 204, MESSAGE_REACTION_ADD (only when it is new).
    pub async fn add_reaction(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        emoji: &str,
    ) -> Result<()> {
        let emoji = parse_emoji(emoji)?;
        let target = self.reaction_target(actor, channel_id, message_id).await?;
        let access = &target.access;
        // A timed-out member keeps READ_MESSAGE_HISTORY but may not react at all.
        if let Some(guild) = &access.guild
            && guild.context().is_timed_out()
            && !access.permissions.contains(Permissions::ADMINISTRATOR)
        {
            return Err(Error::code(Code::MissingPermissions));
        }
        let existing = self.store().reactions(&[message_id], None).await?;
        if !existing.iter().any(|s| s.emoji.key() == emoji.key()) {
            access.require(Permissions::ADD_REACTIONS)?;
            if existing.len() >= limits::REACTIONS_MAX {
                return Err(Error::code(Code::MaxReactions));
            }
        }
        let added = self.store().add_reaction(channel_id, message_id, &emoji, actor.id(), ReactionType::Normal).await?;
        if !added {
            return Ok(());
        }
        let mut data = Self::reaction_payload(&target, &emoji)?;
        if let Some(map) = data.as_object_mut() {
            map.insert("user_id".to_owned(), to_json(&actor.id())?);
            if target.message.webhook_id.is_none() {
                map.insert("message_author_id".to_owned(), to_json(&target.message.author_id)?);
            }
            map.insert("burst".to_owned(), false.into());
            map.insert("burst_colors".to_owned(), serde_json::json!([]));
            map.insert("type".to_owned(), 0.into());
            if let Some(guild) = &access.guild {
                map.insert("member".to_owned(), to_json(&views::member(&guild.member, Some(&actor.user)))?);
            }
        }
        self.publish(channel_event(&access.channel, Family::Reactions, "MESSAGE_REACTION_ADD", data)).await;
        Ok(())
    }

    /// `DELETE .../reactions/{emoji}/@me` ⇒ 204.
    pub async fn remove_own_reaction(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        emoji: &str,
    ) -> Result<()> {
        self.remove_user_reaction(actor, channel_id, message_id, emoji, actor.id()).await
    }

    /// `DELETE .../reactions/{emoji}/{user_id}` ⇒ 204, MESSAGE_REACTION_REMOVE (when there was
    /// one). Another user's reaction needs MANAGE_MESSAGES.
    pub async fn remove_user_reaction(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        emoji: &str,
        user_id: Id<UserMarker>,
    ) -> Result<()> {
        let emoji = parse_emoji(emoji)?;
        let target = self.reaction_target(actor, channel_id, message_id).await?;
        if user_id != actor.id() {
            target.access.require(Permissions::MANAGE_MESSAGES)?;
        }
        if !self.store().remove_reaction(message_id, &emoji, user_id, ReactionType::Normal).await? {
            return Ok(());
        }
        let mut data = Self::reaction_payload(&target, &emoji)?;
        if let Some(map) = data.as_object_mut() {
            map.insert("user_id".to_owned(), to_json(&user_id)?);
            map.insert("burst".to_owned(), false.into());
            map.insert("type".to_owned(), 0.into());
        }
        let event = channel_event(&target.access.channel, Family::Reactions, "MESSAGE_REACTION_REMOVE", data);
        self.publish(event).await;
        Ok(())
    }

    /// `GET .../reactions/{emoji}` ⇒ the users who reacted, by ascending id.
    pub async fn reaction_users(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        emoji: &str,
        query: ReactionUsersQuery,
    ) -> Result<Vec<User>> {
        let limit = query.limit.unwrap_or(25);
        limits::validate_range(&[PathSegment::field("limit")], limit, 1, 100)?;
        let kind = match query.kind.unwrap_or(0) {
            0 => ReactionType::Normal,
            1 => ReactionType::Burst,
            _ => {
                return Err(Error::field(FormError::new(
                    vec![PathSegment::field("type")],
                    limits::codes::BASE_TYPE_CHOICES,
                    "Value must be one of {0, 1}.",
                )));
            }
        };
        let emoji = parse_emoji(emoji)?;
        self.reaction_target(actor, channel_id, message_id).await?;
        let ids = self.store().reaction_users(message_id, &emoji, kind, query.after, limit).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut users: Vec<User> =
            self.store().users(&ids).await?.iter().map(|r| views::public_user(&r.user)).collect();
        users.sort_by_key(|u| u.id);
        Ok(users)
    }

    /// `DELETE .../reactions` ⇒ 204, MESSAGE_REACTION_REMOVE_ALL; MANAGE_MESSAGES.
    pub async fn remove_all_reactions(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
    ) -> Result<()> {
        let target = self.reaction_target(actor, channel_id, message_id).await?;
        target.access.require(Permissions::MANAGE_MESSAGES)?;
        if self.store().remove_all_reactions(message_id).await? == 0 {
            return Ok(());
        }
        let data = serde_json::json!({ "channel_id": channel_id, "message_id": message_id });
        let event = channel_event(&target.access.channel, Family::Reactions, "MESSAGE_REACTION_REMOVE_ALL", data);
        self.publish(event).await;
        Ok(())
    }

    /// `DELETE .../reactions/{emoji}` ⇒ 204, MESSAGE_REACTION_REMOVE_EMOJI; MANAGE_MESSAGES.
    pub async fn remove_emoji_reactions(
        &self,
        actor: &Actor,
        channel_id: Id<ChannelMarker>,
        message_id: Id<MessageMarker>,
        emoji: &str,
    ) -> Result<()> {
        let emoji = parse_emoji(emoji)?;
        let target = self.reaction_target(actor, channel_id, message_id).await?;
        target.access.require(Permissions::MANAGE_MESSAGES)?;
        if self.store().remove_emoji_reactions(message_id, &emoji).await? == 0 {
            return Ok(());
        }
        let data = Self::reaction_payload(&target, &emoji)?;
        let event = channel_event(&target.access.channel, Family::Reactions, "MESSAGE_REACTION_REMOVE_EMOJI", data);
        self.publish(event).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emoji_forms() {
        assert_eq!(parse_emoji("👍").unwrap(), ReactionEmoji::unicode("👍"));
        assert_eq!(parse_emoji("👍🏽").unwrap(), ReactionEmoji::unicode("👍🏽"));
        assert_eq!(parse_emoji("❤️").unwrap(), ReactionEmoji::unicode("❤️"));
        assert_eq!(parse_emoji("1\u{FE0F}\u{20E3}").unwrap(), ReactionEmoji::unicode("1\u{FE0F}\u{20E3}"));
        let id = Id::new_checked(41771983429993937).unwrap();
        assert_eq!(parse_emoji("LUL:41771983429993937").unwrap(), ReactionEmoji::custom(id, "LUL", false));
        assert_eq!(parse_emoji("a:LUL:41771983429993937").unwrap(), ReactionEmoji::custom(id, "LUL", true));
        assert_eq!(parse_emoji("<:LUL:41771983429993937>").unwrap(), ReactionEmoji::custom(id, "LUL", false));
        for bad in ["", "abc", "1", " ", "LUL:abc", "LUL:0", ":41771983429993937", "bad name:1", "👍 👍"] {
            assert!(parse_emoji(bad).is_err(), "{bad:?}");
        }
    }
}
