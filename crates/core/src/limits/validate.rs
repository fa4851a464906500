//! Validators for single fields and for whole embeds.

use guildhall_model::channel::ChannelType;
use guildhall_model::message::{Embed, Nonce};
use std::fmt;

use super::form::{FormError, FormErrors, PathSegment};
use super::*;

fn char_len(value: &str) -> usize {
    value.chars().count()
}

pub(super) fn max_length_error(path: &[PathSegment], max: usize) -> FormError {
    FormError::new(path.to_vec(), codes::BASE_TYPE_MAX_LENGTH, format!("Must be {max} or fewer in length."))
}

/// Checks that `value` has `min..=max` characters.
///
/// With `min == 0` only the maximum can fail and the error is BASE_TYPE_MAX_LENGTH ("Must be
/// {max} or fewer in length."); otherwise either side fails with BASE_TYPE_BAD_LENGTH ("Must
/// be between {min} and {max} in length."), as Discord reports ranged fields.
pub fn validate_length(path: &[PathSegment], value: &str, min: usize, max: usize) -> Result<(), FormError> {
    let len = char_len(value);
    if (min..=max).contains(&len) {
        return Ok(());
    }
    if min == 0 {
        Err(max_length_error(path, max))
    } else {
        Err(FormError::new(
            path.to_vec(),
            codes::BASE_TYPE_BAD_LENGTH,
            format!("Must be between {min} and {max} in length."),
        ))
    }
}

/// Checks that `value` has at least `min` characters (BASE_TYPE_MIN_LENGTH), for fields with
/// no maximum.
pub fn validate_min_length(path: &[PathSegment], value: &str, min: usize) -> Result<(), FormError> {
    if char_len(value) >= min {
        Ok(())
    } else {
        Err(FormError::new(path.to_vec(), codes::BASE_TYPE_MIN_LENGTH, format!("Must be {min} or more in length.")))
    }
}

/// Checks that a required value is present (BASE_TYPE_REQUIRED otherwise).
pub fn validate_required<T>(path: &[PathSegment], value: Option<&T>) -> Result<(), FormError> {
    match value {
        Some(_) => Ok(()),
        None => Err(FormError::required(path)),
    }
}

/// Checks that a number is in `min..=max` (NUMBER_TYPE_MIN / NUMBER_TYPE_MAX otherwise).
pub fn validate_range<T>(path: &[PathSegment], value: T, min: T, max: T) -> Result<(), FormError>
where
    T: PartialOrd + fmt::Display,
{
    if value < min {
        Err(FormError::new(
            path.to_vec(),
            codes::NUMBER_TYPE_MIN,
            format!("int value should be greater than or equal to {min}."),
        ))
    } else if value > max {
        Err(FormError::new(
            path.to_vec(),
            codes::NUMBER_TYPE_MAX,
            format!("int value should be less than or equal to {max}."),
        ))
    } else {
        Ok(())
    }
}

/// Checks that `value` is one of `choices` (BASE_TYPE_CHOICES otherwise).
pub fn validate_choice<T>(path: &[PathSegment], value: T, choices: &[T]) -> Result<(), FormError>
where
    T: PartialEq + fmt::Display,
{
    if choices.contains(&value) {
        return Ok(());
    }
    let listed: Vec<String> = choices.iter().map(ToString::to_string).collect();
    Err(FormError::new(
        path.to_vec(),
        codes::BASE_TYPE_CHOICES,
        format!("Value must be one of {{{}}}.", listed.join(", ")),
    ))
}

/// Substrings a username may not contain (§3.6 "User"); "discord" is matched case-insensitively.
const USERNAME_FORBIDDEN: [&str; 5] = ["@", "#", ":", "```", "discord"];
/// Whole usernames that would read as mass mentions.
const USERNAME_RESERVED: [&str; 2] = ["everyone", "here"];

/// Checks a `username`: 2–32 characters, none of `@`, `#`, `:`, a triple backtick or
/// "discord" (any case) inside, and not "everyone" or "here" (any case).
pub fn validate_username(value: &str) -> Result<(), FormError> {
    const PATH: &[PathSegment] = &[PathSegment::field("username")];
    validate_length(PATH, value, USERNAME_MIN, USERNAME_MAX)?;
    let lower = value.to_lowercase();
    if let Some(bad) = USERNAME_FORBIDDEN.iter().find(|bad| lower.contains(*bad)) {
        return Err(FormError::new(
            PATH.to_vec(),
            codes::USERNAME_INVALID_CONTAINS,
            format!("Username cannot contain \"{bad}\""),
        ));
    }
    if let Some(reserved) = USERNAME_RESERVED.iter().find(|reserved| lower == **reserved) {
        return Err(FormError::new(
            PATH.to_vec(),
            codes::USERNAME_INVALID,
            format!("Username cannot be \"{reserved}\""),
        ));
    }
    Ok(())
}

/// Checks a member `nick` (1–32 characters).
pub fn validate_nickname(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("nick")], value, NICKNAME_MIN, NICKNAME_MAX)
}

/// Checks a guild `name` (2–100 characters).
pub fn validate_guild_name(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("name")], value, GUILD_NAME_MIN, GUILD_NAME_MAX)
}

/// Checks a channel or thread `name` (1–100 characters).
pub fn validate_channel_name(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("name")], value, CHANNEL_NAME_MIN, CHANNEL_NAME_MAX)
}

/// Checks a role `name` (at most 100 characters).
pub fn validate_role_name(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("name")], value, 0, ROLE_NAME_MAX)
}

/// Checks a webhook `name` (1–80 characters). The ban on "clyde"/"discord" in webhook names
/// is left to the handler.
pub fn validate_webhook_name(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("name")], value, WEBHOOK_NAME_MIN, WEBHOOK_NAME_MAX)
}

/// Checks a channel `topic`: 4096 characters in forum and media channels, 1024 elsewhere.
pub fn validate_topic(kind: ChannelType, value: &str) -> Result<(), FormError> {
    let max =
        if matches!(kind, ChannelType::GuildForum | ChannelType::GuildMedia) { FORUM_TOPIC_MAX } else { TOPIC_MAX };
    validate_length(&[PathSegment::field("topic")], value, 0, max)
}

/// Checks a voice or stage `bitrate` (8000 up to 96000, or 64000 for stages).
pub fn validate_bitrate(kind: ChannelType, value: u32) -> Result<(), FormError> {
    let max = if kind == ChannelType::GuildStageVoice { STAGE_BITRATE_MAX } else { BITRATE_MAX };
    validate_range(&[PathSegment::field("bitrate")], value, BITRATE_MIN, max)
}

/// Checks a voice or stage `user_limit` (up to 99, or 10000 for stages; 0 means no limit).
pub fn validate_user_limit(kind: ChannelType, value: u32) -> Result<(), FormError> {
    let max = if kind == ChannelType::GuildStageVoice { STAGE_USER_LIMIT_MAX } else { VOICE_USER_LIMIT_MAX };
    validate_range(&[PathSegment::field("user_limit")], value, 0, max)
}

/// Checks `rate_limit_per_user` (0–21600 seconds).
pub fn validate_rate_limit_per_user(value: u32) -> Result<(), FormError> {
    validate_range(&[PathSegment::field("rate_limit_per_user")], value, 0, RATE_LIMIT_PER_USER_MAX)
}

/// Checks a guild `afk_timeout` against [`AFK_TIMEOUTS`].
pub fn validate_afk_timeout(value: u32) -> Result<(), FormError> {
    validate_choice(&[PathSegment::field("afk_timeout")], value, &AFK_TIMEOUTS)
}

/// Checks an invite's `max_age` (0–604800 seconds).
pub fn validate_invite_max_age(value: u32) -> Result<(), FormError> {
    validate_range(&[PathSegment::field("max_age")], value, 0, INVITE_MAX_AGE_MAX)
}

/// Checks an invite's `max_uses` (0–100).
pub fn validate_invite_max_uses(value: u32) -> Result<(), FormError> {
    validate_range(&[PathSegment::field("max_uses")], value, 0, INVITE_MAX_USES_MAX)
}

/// Checks a ban's `delete_message_seconds` (0–604800).
pub fn validate_delete_message_seconds(value: u32) -> Result<(), FormError> {
    validate_range(&[PathSegment::field("delete_message_seconds")], value, 0, DELETE_MESSAGE_SECONDS_MAX)
}

/// Checks message `content` (at most 2000 characters). Emptiness is not an error here: an
/// empty message is error 50006, decided after all the message's parts are known.
pub fn validate_message_content(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("content")], value, 0, MESSAGE_CONTENT_MAX)
}

/// Checks a message `nonce`: a string one is at most 25 characters; integers always pass.
pub fn validate_nonce(nonce: &Nonce) -> Result<(), FormError> {
    match nonce {
        Nonce::Integer(_) => Ok(()),
        Nonce::String(value) => validate_length(&[PathSegment::field("nonce")], value, 0, NONCE_MAX),
    }
}

/// Checks a message's `embeds`: at most 10, each within the per-field limits (a field's
/// `name` and `value` must also be non-empty), and the characters counted by
/// [`EMBED_TOTAL_MAX`] at most 6000 over all of them. Paths start at `embeds`.
pub fn validate_embeds(embeds: &[Embed]) -> FormErrors {
    let mut errors = FormErrors::new();
    if embeds.len() > EMBEDS_MAX {
        errors.push(max_length_error(&[PathSegment::field("embeds")], EMBEDS_MAX));
    }
    let mut total = 0;
    for (index, embed) in embeds.iter().enumerate() {
        let prefix = [PathSegment::field("embeds"), PathSegment::Index(index)];
        if embed.fields.as_ref().is_some_and(|fields| fields.len() > EMBED_FIELDS_MAX) {
            errors.push(max_length_error(&[PathSegment::field("fields")], EMBED_FIELDS_MAX).prefixed(&prefix));
        }
        for text in embed_texts(embed) {
            total += char_len(text.value);
            if text.required && text.value.is_empty() {
                errors.push(FormError::required(&text.path).prefixed(&prefix));
            }
            errors.check(validate_length(&text.path, text.value, 0, text.max).map_err(|e| e.prefixed(&prefix)));
        }
    }
    if total > EMBED_TOTAL_MAX {
        errors.push(FormError::new(
            vec![PathSegment::field("embeds")],
            codes::BASE_TYPE_MAX_LENGTH,
            format!("Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"),
        ));
    }
    errors
}

/// One string of an embed that counts towards [`EMBED_TOTAL_MAX`].
struct EmbedText<'a> {
    /// Below the embed itself.
    path: Vec<PathSegment>,
    value: &'a str,
    max: usize,
    required: bool,
}

fn embed_texts<'a>(embed: &'a Embed) -> Vec<EmbedText<'a>> {
    let mut texts = Vec::new();
    let mut add = |path: Vec<PathSegment>, value: &'a str, max: usize, required: bool| {
        texts.push(EmbedText { path, value, max, required });
    };
    if let Some(title) = &embed.title {
        add(vec!["title".into()], title, EMBED_TITLE_MAX, false);
    }
    if let Some(description) = &embed.description {
        add(vec!["description".into()], description, EMBED_DESCRIPTION_MAX, false);
    }
    if let Some(footer) = &embed.footer {
        add(vec!["footer".into(), "text".into()], &footer.text, EMBED_FOOTER_TEXT_MAX, false);
    }
    if let Some(author) = &embed.author {
        add(vec!["author".into(), "name".into()], &author.name, EMBED_AUTHOR_NAME_MAX, false);
    }
    for (index, field) in embed.fields.iter().flatten().enumerate() {
        add(vec!["fields".into(), index.into(), "name".into()], &field.name, EMBED_FIELD_NAME_MAX, true);
        add(vec!["fields".into(), index.into(), "value".into()], &field.value, EMBED_FIELD_VALUE_MAX, true);
    }
    texts
}

/// The `position` of each entry of a reorder request (`[{id, position?}]`): 0 to `i32::MAX`,
/// every failure reported at its index.
pub fn validate_positions(positions: impl IntoIterator<Item = Option<i64>>) -> Result<(), FormErrors> {
    let mut errors = FormErrors::new();
    for (index, position) in positions.into_iter().enumerate() {
        if let Some(position) = position {
            let path = [PathSegment::Index(index), PathSegment::field("position")];
            errors.check(validate_range(&path, position, 0, i64::from(i32::MAX)));
        }
    }
    errors.into_result()
}
