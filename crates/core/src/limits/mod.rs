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

mod form;
mod validate;

pub use form::{FormError, FormErrors, PathSegment};
pub use validate::*;

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

/// Files on one message.
pub const ATTACHMENTS_MAX: usize = 10;
/// One uploaded file, largest (Discord's default upload limit, 10 MiB).
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// A whole message request with its files, largest (25 MiB).
pub const UPLOAD_MAX_BYTES: usize = 25 * 1024 * 1024;
/// An attachment's `description` (alt text) and `title`.
pub const ATTACHMENT_DESCRIPTION_MAX: usize = 1024;

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
#[cfg(test)]
mod tests;
