//! Discord's input limits (protocol.md §3.4–§3.6) and the error model of 50035 "Invalid Form
//! Body" (§3.2).
//!
//! Lengths count Unicode scalar values (`char`s), not bytes, so "€" is one character. Validators
//! take the path of the checked field so that an error lands where Discord puts it; use
//! [`FormErrors`] to collect several and [`FormErrors::to_errors_json`] for the `errors` object
//! of the response body.
//!
//! Only limits that Discord reports as form errors have validators here. Counts such as
//! [`ROLES_MAX`] or [`PINS_MAX`] are enforced by the handlers with their own 30xxx codes, and
//! [`BULK_DELETE_MIN`]/[`BULK_DELETE_MAX`] with 50016.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use guildhall_model::channel::ChannelType;
use guildhall_model::message::{Embed, Nonce};
use serde_json::{Map, Value, json};

/// Message `content`, in characters.
pub const MESSAGE_CONTENT_MAX: usize = 2000;
/// A string `nonce`, in characters.
pub const NONCE_MAX: usize = 25;
/// Guild `name`, shortest.
pub const GUILD_NAME_MIN: usize = 2;
/// Guild `name`, longest.
pub const GUILD_NAME_MAX: usize = 100;
/// Channel (and thread) `name`, shortest.
pub const CHANNEL_NAME_MIN: usize = 1;
/// Channel (and thread) `name`, longest.
pub const CHANNEL_NAME_MAX: usize = 100;
/// Role `name`, longest. Discord accepts an empty role name.
pub const ROLE_NAME_MAX: usize = 100;
/// `username`, shortest.
pub const USERNAME_MIN: usize = 2;
/// `username`, longest.
pub const USERNAME_MAX: usize = 32;
/// Member `nick`, shortest. Clients clear a nickname with `null` (some send `""`), which the
/// handler turns into "no nickname" before any length check.
pub const NICKNAME_MIN: usize = 1;
/// Member `nick`, longest.
pub const NICKNAME_MAX: usize = 32;
/// Channel `topic`, longest, except in forum and media channels.
pub const TOPIC_MAX: usize = 1024;
/// Channel `topic` of forum and media channels (their "post guidelines"), longest.
pub const FORUM_TOPIC_MAX: usize = 4096;
/// Embeds per message.
pub const EMBEDS_MAX: usize = 10;
/// Embed `title`.
pub const EMBED_TITLE_MAX: usize = 256;
/// Embed `description`.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
/// Fields per embed.
pub const EMBED_FIELDS_MAX: usize = 25;
/// Embed field `name`.
pub const EMBED_FIELD_NAME_MAX: usize = 256;
/// Embed field `value`.
pub const EMBED_FIELD_VALUE_MAX: usize = 1024;
/// Embed `footer.text`.
pub const EMBED_FOOTER_TEXT_MAX: usize = 2048;
/// Embed `author.name`.
pub const EMBED_AUTHOR_NAME_MAX: usize = 256;
/// Title, description, field names and values, footer text and author names, summed over all
/// embeds of one message.
pub const EMBED_TOTAL_MAX: usize = 6000;
/// Voice `bitrate`, lowest, in bits per second.
pub const BITRATE_MIN: u32 = 8000;
/// Voice channel `bitrate`, highest (unboosted guild).
pub const BITRATE_MAX: u32 = 96_000;
/// Stage channel `bitrate`, highest.
pub const STAGE_BITRATE_MAX: u32 = 64_000;
/// Voice channel `user_limit`, highest (0 means no limit).
pub const VOICE_USER_LIMIT_MAX: u32 = 99;
/// Stage channel `user_limit`, highest (0 means no limit).
pub const STAGE_USER_LIMIT_MAX: u32 = 10_000;
/// `rate_limit_per_user` (slowmode), highest, in seconds (6 hours).
pub const RATE_LIMIT_PER_USER_MAX: u32 = 21_600;
/// The only values `afk_timeout` may take, in seconds.
pub const AFK_TIMEOUTS: [u32; 5] = [60, 300, 900, 1800, 3600];
/// Messages per bulk delete, fewest.
pub const BULK_DELETE_MIN: usize = 2;
/// Messages per bulk delete, most.
pub const BULK_DELETE_MAX: usize = 100;
/// Oldest message a bulk delete may include, in seconds (14 days).
pub const BULK_DELETE_MAX_AGE_SECS: u64 = 14 * 24 * 60 * 60;
/// Invite `max_age`, highest, in seconds (7 days; 0 means never expires).
pub const INVITE_MAX_AGE_MAX: u32 = 604_800;
/// Invite `max_uses`, highest (0 means unlimited).
pub const INVITE_MAX_USES_MAX: u32 = 100;
/// Webhook `name`, shortest.
pub const WEBHOOK_NAME_MIN: usize = 1;
/// Webhook `name`, longest.
pub const WEBHOOK_NAME_MAX: usize = 80;
/// Distinct reactions (emojis) per message (error 30010).
pub const REACTIONS_MAX: usize = 20;
/// Pinned messages per channel (error 30003).
pub const PINS_MAX: usize = 250;
/// Roles per guild (error 30005).
pub const ROLES_MAX: usize = 250;
/// Channels per guild, threads excluded (error 30013).
pub const CHANNELS_MAX: usize = 500;
/// Ban `delete_message_seconds`, highest (7 days).
pub const DELETE_MESSAGE_SECONDS_MAX: u32 = 604_800;
/// How far ahead `communication_disabled_until` may be, in seconds (28 days).
pub const TIMEOUT_MAX_SECS: u64 = 28 * 24 * 60 * 60;

/// The JSON error code of a form error body.
pub const INVALID_FORM_BODY_CODE: u32 = 50035;
/// The JSON error message of a form error body.
pub const INVALID_FORM_BODY_MESSAGE: &str = "Invalid Form Body";

/// Discord's codes for form errors (the `code` of each `_errors` entry).
pub mod codes {
    /// A required value is missing or empty.
    pub const BASE_TYPE_REQUIRED: &str = "BASE_TYPE_REQUIRED";
    /// A string or list is outside a `min..=max` range.
    pub const BASE_TYPE_BAD_LENGTH: &str = "BASE_TYPE_BAD_LENGTH";
    /// A string or list is longer than allowed.
    pub const BASE_TYPE_MAX_LENGTH: &str = "BASE_TYPE_MAX_LENGTH";
    /// A string or list is shorter than allowed.
    pub const BASE_TYPE_MIN_LENGTH: &str = "BASE_TYPE_MIN_LENGTH";
    /// A value is not one of the allowed choices.
    pub const BASE_TYPE_CHOICES: &str = "BASE_TYPE_CHOICES";
    /// A number is below the minimum.
    pub const NUMBER_TYPE_MIN: &str = "NUMBER_TYPE_MIN";
    /// A number is above the maximum.
    pub const NUMBER_TYPE_MAX: &str = "NUMBER_TYPE_MAX";
    /// A username contains a forbidden character or word.
    pub const USERNAME_INVALID_CONTAINS: &str = "USERNAME_INVALID_CONTAINS";
    /// A username is a reserved word.
    pub const USERNAME_INVALID: &str = "USERNAME_INVALID";
}

/// One step of a path into the request body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key.
    Field(Cow<'static, str>),
    /// An array index; written as a string key (`"0"`) in the JSON tree, as Discord does.
    Index(usize),
}

impl PathSegment {
    /// An object key known at compile time; `const` so paths can be written as constants.
    pub const fn field(name: &'static str) -> Self {
        Self::Field(Cow::Borrowed(name))
    }

    fn key(&self) -> Cow<'_, str> {
        match self {
            Self::Field(name) => Cow::Borrowed(name),
            Self::Index(index) => Cow::Owned(index.to_string()),
        }
    }
}

impl From<&'static str> for PathSegment {
    fn from(name: &'static str) -> Self {
        Self::field(name)
    }
}

impl From<String> for PathSegment {
    fn from(name: String) -> Self {
        Self::Field(Cow::Owned(name))
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// One problem with one field of a request body (or with the whole body, for an empty path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FormError {
    path: Vec<PathSegment>,
    code: &'static str,
    message: String,
}

impl FormError {
    /// An error at `path` with one of the [`codes`] and a human-readable message.
    pub fn new(path: Vec<PathSegment>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            path,
            code,
            message: message.into(),
        }
    }

    /// BASE_TYPE_REQUIRED at `path`.
    pub fn required(path: &[PathSegment]) -> Self {
        Self::new(
            path.to_vec(),
            codes::BASE_TYPE_REQUIRED,
            "This field is required",
        )
    }

    /// Where the error is; empty for a request-level error.
    pub fn path(&self) -> &[PathSegment] {
        &self.path
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error nested under `prefix`, for reusing a validator inside a larger body
    /// (e.g. an embed check under `["message"]`).
    #[must_use]
    pub fn prefixed(mut self, prefix: &[PathSegment]) -> Self {
        self.path.splice(0..0, prefix.iter().cloned());
        self
    }
}

/// Dotted path then message, the way discord.py prints form errors ("In embeds.0.title: …").
impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{segment}")?;
        }
        if !self.path.is_empty() {
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// All problems found in one request body; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Form Body ({} error(s))", .0.len())]
pub struct FormErrors(Vec<FormError>);

impl FormErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one error.
    pub fn push(&mut self, error: FormError) {
        self.0.push(error);
    }

    /// Adds the error of a validator's result, if any, so checks can be chained without `?`
    /// stopping at the first failure.
    pub fn check(&mut self, result: Result<(), FormError>) {
        if let Err(error) = result {
            self.0.push(error);
        }
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, FormError> {
        self.0.iter()
    }

    /// `Ok` when empty, else `Err(self)`, for handlers ending in `?`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Discord's nested `errors` object: each path becomes nested keys (array indices as
    /// string keys), each error an entry `{code, message}` of the `_errors` list at its end,
    /// and errors sharing a prefix share the branch. Errors with an empty path go in the
    /// top-level `_errors`.
    ///
    /// A body field literally named `_errors` would collide with the list; Discord has none.
    pub fn to_errors_json(&self) -> Value {
        let mut root = Node::default();
        for error in &self.0 {
            let mut node = &mut root;
            for segment in &error.path {
                node = node.children.entry(segment.key().into_owned()).or_default();
            }
            node.errors
                .push(json!({ "code": error.code, "message": error.message }));
        }
        root.into_json()
    }
}

impl From<FormError> for FormErrors {
    fn from(error: FormError) -> Self {
        Self(vec![error])
    }
}

impl Extend<FormError> for FormErrors {
    fn extend<I: IntoIterator<Item = FormError>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for FormErrors {
    type Item = FormError;
    type IntoIter = std::vec::IntoIter<FormError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FormErrors {
    type Item = &'a FormError;
    type IntoIter = std::slice::Iter<'a, FormError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The error tree before it becomes JSON; building it typed avoids ever meeting a JSON value
/// of the wrong kind halfway down a path.
#[derive(Default)]
struct Node {
    errors: Vec<Value>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn into_json(self) -> Value {
        let mut map = Map::new();
        for (key, child) in self.children {
            map.insert(key, child.into_json());
        }
        if !self.errors.is_empty() {
            map.insert("_errors".to_owned(), Value::Array(self.errors));
        }
        Value::Object(map)
    }
}

fn char_len(value: &str) -> usize {
    value.chars().count()
}

fn max_length_error(path: &[PathSegment], max: usize) -> FormError {
    FormError::new(
        path.to_vec(),
        codes::BASE_TYPE_MAX_LENGTH,
        format!("Must be {max} or fewer in length."),
    )
}

/// Checks that `value` has `min..=max` characters.
///
/// With `min == 0` only the maximum can fail and the error is BASE_TYPE_MAX_LENGTH ("Must be
/// {max} or fewer in length."); otherwise either side fails with BASE_TYPE_BAD_LENGTH ("Must
/// be between {min} and {max} in length."), as Discord reports ranged fields.
pub fn validate_length(
    path: &[PathSegment],
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), FormError> {
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
        Err(FormError::new(
            path.to_vec(),
            codes::BASE_TYPE_MIN_LENGTH,
            format!("Must be {min} or more in length."),
        ))
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
    if let Some(reserved) = USERNAME_RESERVED
        .iter()
        .find(|reserved| lower == **reserved)
    {
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
    validate_length(
        &[PathSegment::field("nick")],
        value,
        NICKNAME_MIN,
        NICKNAME_MAX,
    )
}

/// Checks a guild `name` (2–100 characters).
pub fn validate_guild_name(value: &str) -> Result<(), FormError> {
    validate_length(
        &[PathSegment::field("name")],
        value,
        GUILD_NAME_MIN,
        GUILD_NAME_MAX,
    )
}

/// Checks a channel or thread `name` (1–100 characters).
pub fn validate_channel_name(value: &str) -> Result<(), FormError> {
    validate_length(
        &[PathSegment::field("name")],
        value,
        CHANNEL_NAME_MIN,
        CHANNEL_NAME_MAX,
    )
}

/// Checks a role `name` (at most 100 characters).
pub fn validate_role_name(value: &str) -> Result<(), FormError> {
    validate_length(&[PathSegment::field("name")], value, 0, ROLE_NAME_MAX)
}

/// Checks a webhook `name` (1–80 characters). The ban on "clyde"/"discord" in webhook names
/// is left to the handler.
pub fn validate_webhook_name(value: &str) -> Result<(), FormError> {
    validate_length(
        &[PathSegment::field("name")],
        value,
        WEBHOOK_NAME_MIN,
        WEBHOOK_NAME_MAX,
    )
}

/// Checks a channel `topic`: 4096 characters in forum and media channels, 1024 elsewhere.
pub fn validate_topic(kind: ChannelType, value: &str) -> Result<(), FormError> {
    let max = if matches!(kind, ChannelType::GuildForum | ChannelType::GuildMedia) {
        FORUM_TOPIC_MAX
    } else {
        TOPIC_MAX
    };
    validate_length(&[PathSegment::field("topic")], value, 0, max)
}

/// Checks a voice or stage `bitrate` (8000 up to 96000, or 64000 for stages).
pub fn validate_bitrate(kind: ChannelType, value: u32) -> Result<(), FormError> {
    let max = if kind == ChannelType::GuildStageVoice {
        STAGE_BITRATE_MAX
    } else {
        BITRATE_MAX
    };
    validate_range(&[PathSegment::field("bitrate")], value, BITRATE_MIN, max)
}

/// Checks a voice or stage `user_limit` (up to 99, or 10000 for stages; 0 means no limit).
pub fn validate_user_limit(kind: ChannelType, value: u32) -> Result<(), FormError> {
    let max = if kind == ChannelType::GuildStageVoice {
        STAGE_USER_LIMIT_MAX
    } else {
        VOICE_USER_LIMIT_MAX
    };
    validate_range(&[PathSegment::field("user_limit")], value, 0, max)
}

/// Checks `rate_limit_per_user` (0–21600 seconds).
pub fn validate_rate_limit_per_user(value: u32) -> Result<(), FormError> {
    validate_range(
        &[PathSegment::field("rate_limit_per_user")],
        value,
        0,
        RATE_LIMIT_PER_USER_MAX,
    )
}

/// Checks a guild `afk_timeout` against [`AFK_TIMEOUTS`].
pub fn validate_afk_timeout(value: u32) -> Result<(), FormError> {
    validate_choice(&[PathSegment::field("afk_timeout")], value, &AFK_TIMEOUTS)
}

/// Checks an invite's `max_age` (0–604800 seconds).
pub fn validate_invite_max_age(value: u32) -> Result<(), FormError> {
    validate_range(
        &[PathSegment::field("max_age")],
        value,
        0,
        INVITE_MAX_AGE_MAX,
    )
}

/// Checks an invite's `max_uses` (0–100).
pub fn validate_invite_max_uses(value: u32) -> Result<(), FormError> {
    validate_range(
        &[PathSegment::field("max_uses")],
        value,
        0,
        INVITE_MAX_USES_MAX,
    )
}

/// Checks a ban's `delete_message_seconds` (0–604800).
pub fn validate_delete_message_seconds(value: u32) -> Result<(), FormError> {
    validate_range(
        &[PathSegment::field("delete_message_seconds")],
        value,
        0,
        DELETE_MESSAGE_SECONDS_MAX,
    )
}

/// Checks message `content` (at most 2000 characters). Emptiness is not an error here: an
/// empty message is error 50006, decided after all the message's parts are known.
pub fn validate_message_content(value: &str) -> Result<(), FormError> {
    validate_length(
        &[PathSegment::field("content")],
        value,
        0,
        MESSAGE_CONTENT_MAX,
    )
}

/// Checks a message `nonce`: a string one is at most 25 characters; integers always pass.
pub fn validate_nonce(nonce: &Nonce) -> Result<(), FormError> {
    match nonce {
        Nonce::Integer(_) => Ok(()),
        Nonce::String(value) => {
            validate_length(&[PathSegment::field("nonce")], value, 0, NONCE_MAX)
        }
    }
}

/// Checks a message's `embeds`: at most 10, each within the per-field limits (a field's
/// `name` and `value` must also be non-empty), and the characters counted by
/// [`EMBED_TOTAL_MAX`] at most 6000 over all of them. Paths start at `embeds`.
pub fn validate_embeds(embeds: &[Embed]) -> FormErrors {
    let mut errors = FormErrors::new();
    if embeds.len() > EMBEDS_MAX {
        errors.push(max_length_error(
            &[PathSegment::field("embeds")],
            EMBEDS_MAX,
        ));
    }
    let mut total = 0;
    for (index, embed) in embeds.iter().enumerate() {
        let prefix = [PathSegment::field("embeds"), PathSegment::Index(index)];
        if embed
            .fields
            .as_ref()
            .is_some_and(|fields| fields.len() > EMBED_FIELDS_MAX)
        {
            errors.push(
                max_length_error(&[PathSegment::field("fields")], EMBED_FIELDS_MAX)
                    .prefixed(&prefix),
            );
        }
        for text in embed_texts(embed) {
            total += char_len(text.value);
            if text.required && text.value.is_empty() {
                errors.push(FormError::required(&text.path).prefixed(&prefix));
            }
            errors.check(
                validate_length(&text.path, text.value, 0, text.max)
                    .map_err(|e| e.prefixed(&prefix)),
            );
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
        texts.push(EmbedText {
            path,
            value,
            max,
            required,
        });
    };
    if let Some(title) = &embed.title {
        add(vec!["title".into()], title, EMBED_TITLE_MAX, false);
    }
    if let Some(description) = &embed.description {
        add(
            vec!["description".into()],
            description,
            EMBED_DESCRIPTION_MAX,
            false,
        );
    }
    if let Some(footer) = &embed.footer {
        add(
            vec!["footer".into(), "text".into()],
            &footer.text,
            EMBED_FOOTER_TEXT_MAX,
            false,
        );
    }
    if let Some(author) = &embed.author {
        add(
            vec!["author".into(), "name".into()],
            &author.name,
            EMBED_AUTHOR_NAME_MAX,
            false,
        );
    }
    for (index, field) in embed.fields.iter().flatten().enumerate() {
        add(
            vec!["fields".into(), index.into(), "name".into()],
            &field.name,
            EMBED_FIELD_NAME_MAX,
            true,
        );
        add(
            vec!["fields".into(), index.into(), "value".into()],
            &field.value,
            EMBED_FIELD_VALUE_MAX,
            true,
        );
    }
    texts
}

#[cfg(test)]
mod tests {
    use guildhall_model::message::{EmbedAuthor, EmbedField, EmbedFooter};

    use super::*;

    fn s(n: usize) -> String {
        "a".repeat(n)
    }

    fn field(name: &str, value: &str) -> EmbedField {
        EmbedField {
            name: name.to_owned(),
            value: value.to_owned(),
            inline: None,
        }
    }

    #[test]
    fn constants_match_the_spec() {
        let usizes = [
            ("MESSAGE_CONTENT_MAX", MESSAGE_CONTENT_MAX, 2000),
            ("NONCE_MAX", NONCE_MAX, 25),
            ("GUILD_NAME_MIN", GUILD_NAME_MIN, 2),
            ("GUILD_NAME_MAX", GUILD_NAME_MAX, 100),
            ("CHANNEL_NAME_MIN", CHANNEL_NAME_MIN, 1),
            ("CHANNEL_NAME_MAX", CHANNEL_NAME_MAX, 100),
            ("ROLE_NAME_MAX", ROLE_NAME_MAX, 100),
            ("USERNAME_MIN", USERNAME_MIN, 2),
            ("USERNAME_MAX", USERNAME_MAX, 32),
            ("NICKNAME_MIN", NICKNAME_MIN, 1),
            ("NICKNAME_MAX", NICKNAME_MAX, 32),
            ("TOPIC_MAX", TOPIC_MAX, 1024),
            ("FORUM_TOPIC_MAX", FORUM_TOPIC_MAX, 4096),
            ("EMBEDS_MAX", EMBEDS_MAX, 10),
            ("EMBED_TITLE_MAX", EMBED_TITLE_MAX, 256),
            ("EMBED_DESCRIPTION_MAX", EMBED_DESCRIPTION_MAX, 4096),
            ("EMBED_FIELDS_MAX", EMBED_FIELDS_MAX, 25),
            ("EMBED_FIELD_NAME_MAX", EMBED_FIELD_NAME_MAX, 256),
            ("EMBED_FIELD_VALUE_MAX", EMBED_FIELD_VALUE_MAX, 1024),
            ("EMBED_FOOTER_TEXT_MAX", EMBED_FOOTER_TEXT_MAX, 2048),
            ("EMBED_AUTHOR_NAME_MAX", EMBED_AUTHOR_NAME_MAX, 256),
            ("EMBED_TOTAL_MAX", EMBED_TOTAL_MAX, 6000),
            ("BULK_DELETE_MIN", BULK_DELETE_MIN, 2),
            ("BULK_DELETE_MAX", BULK_DELETE_MAX, 100),
            ("WEBHOOK_NAME_MIN", WEBHOOK_NAME_MIN, 1),
            ("WEBHOOK_NAME_MAX", WEBHOOK_NAME_MAX, 80),
            ("REACTIONS_MAX", REACTIONS_MAX, 20),
            ("PINS_MAX", PINS_MAX, 250),
            ("ROLES_MAX", ROLES_MAX, 250),
            ("CHANNELS_MAX", CHANNELS_MAX, 500),
        ];
        for (name, got, want) in usizes {
            assert_eq!(got, want, "{name}");
        }
        let u32s = [
            ("BITRATE_MIN", BITRATE_MIN, 8000),
            ("BITRATE_MAX", BITRATE_MAX, 96_000),
            ("STAGE_BITRATE_MAX", STAGE_BITRATE_MAX, 64_000),
            ("VOICE_USER_LIMIT_MAX", VOICE_USER_LIMIT_MAX, 99),
            ("STAGE_USER_LIMIT_MAX", STAGE_USER_LIMIT_MAX, 10_000),
            ("RATE_LIMIT_PER_USER_MAX", RATE_LIMIT_PER_USER_MAX, 21_600),
            ("INVITE_MAX_AGE_MAX", INVITE_MAX_AGE_MAX, 604_800),
            ("INVITE_MAX_USES_MAX", INVITE_MAX_USES_MAX, 100),
            (
                "DELETE_MESSAGE_SECONDS_MAX",
                DELETE_MESSAGE_SECONDS_MAX,
                604_800,
            ),
        ];
        for (name, got, want) in u32s {
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(AFK_TIMEOUTS, [60, 300, 900, 1800, 3600]);
        assert_eq!(BULK_DELETE_MAX_AGE_SECS, 1_209_600);
        assert_eq!(TIMEOUT_MAX_SECS, 2_419_200);
    }

    type StrCheck = fn(&str) -> Result<(), FormError>;

    #[test]
    fn string_limits_boundaries() {
        // (name, validator, shortest accepted, longest accepted, field)
        type Case = (&'static str, StrCheck, usize, usize, &'static str);
        let cases: [Case; 11] = [
            ("content", validate_message_content, 0, 2000, "content"),
            (
                "nonce",
                |v| validate_nonce(&Nonce::String(v.to_owned())),
                0,
                25,
                "nonce",
            ),
            ("guild name", validate_guild_name, 2, 100, "name"),
            ("channel name", validate_channel_name, 1, 100, "name"),
            ("role name", validate_role_name, 0, 100, "name"),
            ("username", validate_username, 2, 32, "username"),
            ("nickname", validate_nickname, 1, 32, "nick"),
            ("webhook name", validate_webhook_name, 1, 80, "name"),
            (
                "text topic",
                |v| validate_topic(ChannelType::GuildText, v),
                0,
                1024,
                "topic",
            ),
            (
                "forum topic",
                |v| validate_topic(ChannelType::GuildForum, v),
                0,
                4096,
                "topic",
            ),
            (
                "media topic",
                |v| validate_topic(ChannelType::GuildMedia, v),
                0,
                4096,
                "topic",
            ),
        ];
        for (name, check, min, max, path) in cases {
            assert_eq!(check(&s(max)), Ok(()), "{name}: {max} passes");
            assert_eq!(check(&s(min)), Ok(()), "{name}: {min} passes");
            let too_long = check(&s(max + 1)).unwrap_err();
            assert_eq!(too_long.path(), [PathSegment::field(path)], "{name}");
            if min == 0 {
                assert_eq!(too_long.code(), codes::BASE_TYPE_MAX_LENGTH, "{name}");
                assert_eq!(
                    too_long.message(),
                    format!("Must be {max} or fewer in length."),
                    "{name}"
                );
            } else {
                assert_eq!(too_long.code(), codes::BASE_TYPE_BAD_LENGTH, "{name}");
                let message = format!("Must be between {min} and {max} in length.");
                assert_eq!(too_long.message(), message, "{name}");
                let too_short = check(&s(min - 1)).unwrap_err();
                assert_eq!(
                    (too_short.code(), too_short.message()),
                    (codes::BASE_TYPE_BAD_LENGTH, message.as_str()),
                    "{name}"
                );
            }
        }
        assert_eq!(validate_nonce(&Nonce::Integer(i64::MAX)), Ok(()));
    }

    #[test]
    fn multibyte_characters_count_once() {
        assert_eq!(validate_message_content(&"€".repeat(2000)), Ok(()));
        assert!(validate_message_content(&"€".repeat(2001)).is_err());
        // "👍🏽" is two scalar values (emoji + skin tone): Discord's count, not graphemes.
        assert_eq!(validate_message_content(&"👍🏽".repeat(1000)), Ok(()));
        assert!(validate_message_content(&format!("{}a", "👍🏽".repeat(1000))).is_err());
        assert_eq!(validate_username(&"é".repeat(32)), Ok(()));
    }

    #[test]
    fn number_limits_boundaries() {
        // (name, validator, lowest accepted, highest accepted, field)
        type Case = (
            &'static str,
            fn(u32) -> Result<(), FormError>,
            u32,
            u32,
            &'static str,
        );
        let cases: [Case; 10] = [
            (
                "voice bitrate",
                |v| validate_bitrate(ChannelType::GuildVoice, v),
                8000,
                96_000,
                "bitrate",
            ),
            (
                "stage bitrate",
                |v| validate_bitrate(ChannelType::GuildStageVoice, v),
                8000,
                64_000,
                "bitrate",
            ),
            (
                "voice user limit",
                |v| validate_user_limit(ChannelType::GuildVoice, v),
                0,
                99,
                "user_limit",
            ),
            (
                "stage user limit",
                |v| validate_user_limit(ChannelType::GuildStageVoice, v),
                0,
                10_000,
                "user_limit",
            ),
            (
                "slowmode",
                validate_rate_limit_per_user,
                0,
                21_600,
                "rate_limit_per_user",
            ),
            (
                "invite max_age",
                validate_invite_max_age,
                0,
                604_800,
                "max_age",
            ),
            (
                "invite max_uses",
                validate_invite_max_uses,
                0,
                100,
                "max_uses",
            ),
            (
                "delete_message_seconds",
                validate_delete_message_seconds,
                0,
                604_800,
                "delete_message_seconds",
            ),
            (
                "generic range",
                |v| validate_range(&["x".into()], v, 5, 6),
                5,
                6,
                "x",
            ),
            (
                "generic range, one value",
                |v| validate_range(&["x".into()], v, 7, 7),
                7,
                7,
                "x",
            ),
        ];
        for (name, check, min, max, path) in cases {
            assert_eq!(check(min), Ok(()), "{name}: {min} passes");
            assert_eq!(check(max), Ok(()), "{name}: {max} passes");
            let high = check(max + 1).unwrap_err();
            assert_eq!(high.path(), [PathSegment::field(path)], "{name}");
            assert_eq!(high.code(), codes::NUMBER_TYPE_MAX, "{name}");
            assert_eq!(
                high.message(),
                format!("int value should be less than or equal to {max}."),
                "{name}"
            );
            if min > 0 {
                let low = check(min - 1).unwrap_err();
                assert_eq!(low.code(), codes::NUMBER_TYPE_MIN, "{name}");
                assert_eq!(
                    low.message(),
                    format!("int value should be greater than or equal to {min}."),
                    "{name}"
                );
            }
        }
        assert_eq!(validate_range(&[], -3_i64, -3, 3), Ok(()));
        assert_eq!(
            validate_range(&[], -4_i64, -3, 3).unwrap_err().code(),
            codes::NUMBER_TYPE_MIN
        );
    }

    #[test]
    fn afk_timeout_choices() {
        for ok in AFK_TIMEOUTS {
            assert_eq!(validate_afk_timeout(ok), Ok(()), "{ok}");
        }
        for bad in [0, 59, 61, 301, 3599, 3601, 7200] {
            let error = validate_afk_timeout(bad).unwrap_err();
            assert_eq!(error.code(), codes::BASE_TYPE_CHOICES, "{bad}");
            assert_eq!(
                error.message(),
                "Value must be one of {60, 300, 900, 1800, 3600}.",
                "{bad}"
            );
            assert_eq!(error.path(), [PathSegment::field("afk_timeout")]);
        }
    }

    #[test]
    fn min_length_and_required() {
        assert_eq!(validate_min_length(&["x".into()], "ab", 2), Ok(()));
        let error = validate_min_length(&["x".into()], "€", 2).unwrap_err();
        assert_eq!(
            (error.code(), error.message()),
            (codes::BASE_TYPE_MIN_LENGTH, "Must be 2 or more in length.")
        );
        assert_eq!(validate_required(&["x".into()], Some(&1)), Ok(()));
        let error = validate_required::<u8>(&["x".into()], None).unwrap_err();
        assert_eq!(
            (error.code(), error.message()),
            (codes::BASE_TYPE_REQUIRED, "This field is required")
        );
    }

    #[test]
    fn username_rules() {
        let cases: [(&str, Option<&str>); 17] = [
            ("ab", None),
            ("valid_name.123", None),
            ("Everyone1", None),
            ("hereandthere", None),
            ("a", Some(codes::BASE_TYPE_BAD_LENGTH)),
            ("a@b", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("a#b", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("a:b", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("a```b", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("a``b", None),
            ("mydiscordname", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("DisCord", Some(codes::USERNAME_INVALID_CONTAINS)),
            ("everyone", Some(codes::USERNAME_INVALID)),
            ("EVERYONE", Some(codes::USERNAME_INVALID)),
            ("here", Some(codes::USERNAME_INVALID)),
            ("Here", Some(codes::USERNAME_INVALID)),
            (
                "a@b@c@d@e@f@g@h@i@j@k@l@m@n@o@p@q",
                Some(codes::BASE_TYPE_BAD_LENGTH),
            ),
        ];
        for (name, expect) in cases {
            let got = validate_username(name).err();
            assert_eq!(got.as_ref().map(FormError::code), expect, "{name}");
            if let Some(error) = got {
                assert_eq!(error.path(), [PathSegment::field("username")], "{name}");
            }
        }
        assert_eq!(
            validate_username("xdiscordx").unwrap_err().message(),
            "Username cannot contain \"discord\""
        );
        assert_eq!(
            validate_username("here").unwrap_err().message(),
            "Username cannot be \"here\""
        );
    }

    fn leaf(code: &str, message: &str) -> Value {
        json!({"code": code, "message": message})
    }

    fn paths(errors: &FormErrors) -> Vec<String> {
        errors.iter().map(|e| format!("{e}")).collect()
    }

    #[test]
    fn embed_per_field_limits() {
        struct Case {
            name: &'static str,
            embed: fn(usize) -> Embed,
            max: usize,
            path: &'static str,
        }
        let cases = [
            Case {
                name: "title",
                embed: |n| Embed {
                    title: Some(s(n)),
                    ..Embed::default()
                },
                max: 256,
                path: "embeds.0.title",
            },
            Case {
                name: "description",
                embed: |n| Embed {
                    description: Some(s(n)),
                    ..Embed::default()
                },
                max: 4096,
                path: "embeds.0.description",
            },
            Case {
                name: "footer text",
                embed: |n| Embed {
                    footer: Some(EmbedFooter {
                        text: s(n),
                        icon_url: None,
                        proxy_icon_url: None,
                    }),
                    ..Embed::default()
                },
                max: 2048,
                path: "embeds.0.footer.text",
            },
            Case {
                name: "author name",
                embed: |n| Embed {
                    author: Some(EmbedAuthor {
                        name: s(n),
                        url: None,
                        icon_url: None,
                        proxy_icon_url: None,
                    }),
                    ..Embed::default()
                },
                max: 256,
                path: "embeds.0.author.name",
            },
            Case {
                name: "field name",
                embed: |n| Embed {
                    fields: Some(vec![field("ok", "ok"), field(&s(n), "v")]),
                    ..Embed::default()
                },
                max: 256,
                path: "embeds.0.fields.1.name",
            },
            Case {
                name: "field value",
                embed: |n| Embed {
                    fields: Some(vec![field("n", &s(n))]),
                    ..Embed::default()
                },
                max: 1024,
                path: "embeds.0.fields.0.value",
            },
        ];
        for case in cases {
            assert!(
                validate_embeds(&[(case.embed)(case.max)]).is_empty(),
                "{}: boundary passes",
                case.name
            );
            let errors = validate_embeds(&[(case.embed)(case.max + 1)]);
            let want = format!("{}: Must be {} or fewer in length.", case.path, case.max);
            assert_eq!(paths(&errors), [want], "{}", case.name);
            assert_eq!(
                errors.iter().next().map(FormError::code),
                Some(codes::BASE_TYPE_MAX_LENGTH)
            );
        }
    }

    #[test]
    fn embed_counts_and_required_fields() {
        let embed = Embed {
            title: Some("t".to_owned()),
            ..Embed::default()
        };
        assert!(validate_embeds(&vec![embed.clone(); 10]).is_empty());
        assert_eq!(
            paths(&validate_embeds(&vec![embed; 11])),
            ["embeds: Must be 10 or fewer in length."]
        );

        let with_fields = |n: usize| Embed {
            fields: Some(vec![field("n", "v"); n]),
            ..Embed::default()
        };
        assert!(validate_embeds(&[with_fields(25)]).is_empty());
        assert_eq!(
            paths(&validate_embeds(&[with_fields(26)])),
            ["embeds.0.fields: Must be 25 or fewer in length."]
        );

        let empty = Embed {
            fields: Some(vec![field("", "")]),
            ..Embed::default()
        };
        assert_eq!(
            paths(&validate_embeds(&[Embed::default(), empty])),
            [
                "embeds.1.fields.0.name: This field is required",
                "embeds.1.fields.0.value: This field is required"
            ]
        );
        assert!(validate_embeds(&[]).is_empty());
    }

    #[test]
    fn embed_total_size() {
        // Spread 6000 characters over every counted part of two embeds.
        let full = |extra: usize| {
            let a = Embed {
                title: Some(s(256)),
                description: Some(s(4096)),
                footer: Some(EmbedFooter {
                    text: s(400),
                    icon_url: None,
                    proxy_icon_url: None,
                }),
                author: Some(EmbedAuthor {
                    name: s(100),
                    url: None,
                    icon_url: None,
                    proxy_icon_url: None,
                }),
                ..Embed::default()
            };
            let b = Embed {
                fields: Some(vec![
                    field(&s(24), &s(1024)),
                    field("€", &"€".repeat(extra)),
                ]),
                ..Embed::default()
            };
            vec![a, b]
        };
        let counted = 256 + 4096 + 400 + 100 + 24 + 1024 + 1;
        let fits = full(EMBED_TOTAL_MAX - counted);
        assert!(
            validate_embeds(&fits).is_empty(),
            "{:?}",
            paths(&validate_embeds(&fits))
        );
        let errors = validate_embeds(&full(EMBED_TOTAL_MAX - counted + 1));
        assert_eq!(
            paths(&errors),
            ["embeds: Embed size exceeds maximum size of 6000"]
        );
        let size = leaf(
            "BASE_TYPE_MAX_LENGTH",
            "Embed size exceeds maximum size of 6000",
        );
        assert_eq!(
            errors.to_errors_json(),
            json!({"embeds": {"_errors": [size]}})
        );
        // Unlimited parts (urls, colors) do not count.
        let mut with_url = fits;
        with_url[0].url = Some(s(3000));
        assert!(validate_embeds(&with_url).is_empty());
    }

    #[test]
    fn errors_json_nests_paths() {
        let title = FormError::new(
            vec!["embeds".into(), 0.into(), "title".into()],
            codes::BASE_TYPE_MAX_LENGTH,
            "Must be 256 or fewer in length.",
        );
        assert_eq!(
            FormErrors::from(title.clone()).to_errors_json(),
            json!({"embeds": {"0": {"title": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
            ]}}}})
        );

        let mut errors = FormErrors::new();
        errors.push(title);
        errors.check(validate_length(
            &["embeds".into(), 0.into(), "description".into()],
            &s(5),
            0,
            4,
        ));
        errors.check(validate_length(
            &["embeds".into(), 0.into(), "title".into()],
            "",
            1,
            256,
        ));
        errors.check(validate_length(
            &["embeds".into(), 12.into(), "title".into()],
            &s(300),
            0,
            256,
        ));
        errors.check(validate_message_content("fine"));
        errors.push(FormError::required(&["content".into()]));
        errors.push(FormError::new(
            Vec::new(),
            "CONTENT_TYPE_INVALID",
            "Expected \"Content-Type\" header",
        ));
        errors.push(max_length_error(&["embeds".into()], 10));
        assert_eq!(errors.len(), 7);
        assert_eq!(
            errors.to_errors_json(),
            json!({
                "_errors": [leaf("CONTENT_TYPE_INVALID", "Expected \"Content-Type\" header")],
                "content": {"_errors": [leaf("BASE_TYPE_REQUIRED", "This field is required")]},
                "embeds": {
                    "_errors": [leaf("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")],
                    "0": {
                        "title": {"_errors": [
                            leaf("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                            leaf("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 256 in length."),
                        ]},
                        "description": {"_errors": [
                            leaf("BASE_TYPE_MAX_LENGTH", "Must be 4 or fewer in length."),
                        ]},
                    },
                    "12": {"title": {"_errors": [
                        leaf("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                    ]}},
                },
            })
        );
        assert_eq!(FormErrors::new().to_errors_json(), json!({}));
        assert!(FormErrors::new().into_result().is_ok());
        assert_eq!(errors.clone().into_result().unwrap_err().len(), 7);
    }

    #[test]
    fn prefix_and_display() {
        let error = validate_embeds(&[Embed {
            title: Some(s(257)),
            ..Embed::default()
        }])
        .into_iter()
        .next()
        .unwrap()
        .prefixed(&["message".into(), String::from("dynamic").into()]);
        assert_eq!(
            error.to_string(),
            "message.dynamic.embeds.0.title: Must be 256 or fewer in length."
        );
        assert_eq!(
            FormError::required(&[]).to_string(),
            "This field is required"
        );
        assert_eq!(
            FormErrors::from(error).to_string(),
            "Invalid Form Body (1 error(s))"
        );
    }
}
