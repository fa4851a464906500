//! core's one error type: a Discord JSON error code (protocol.md §3.2) with its kind.
//!
//! Transports map [`ErrorKind`] to their own form (HTTP status, gateway close); the body is
//! always `{"code", "message", "errors"?}`. Every code the server emits is declared once in
//! [`Code`], with its HTTP-facing kind and Discord's message.

use std::borrow::Cow;

use guildhall_store::StoreError;

use crate::limits::{FormError, FormErrors, INVALID_FORM_BODY_CODE, INVALID_FORM_BODY_MESSAGE};

/// How a transport should present an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 413.
    PayloadTooLarge,
    /// 429 (slowmode and similar domain rate limits).
    TooManyRequests,
    /// 500: a backend failed; the details are logged, not sent.
    Internal,
}

macro_rules! codes {
    ($( $(#[$meta:meta])* $name:ident = $code:literal, $kind:ident, $message:literal; )+) => {
        /// The Discord error codes guildhall emits (protocol.md §3.2).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$meta])* $name, )+
        }

        impl Code {
            /// Every code, for tests.
            pub const ALL: &'static [Self] = &[$(Self::$name),+];

            /// The numeric JSON `code`.
            pub const fn value(self) -> u32 {
                match self { $( Self::$name => $code, )+ }
            }

            /// How it is presented.
            pub const fn kind(self) -> ErrorKind {
                match self { $( Self::$name => ErrorKind::$kind, )+ }
            }

            /// Discord's message for it.
            pub const fn message(self) -> &'static str {
                match self { $( Self::$name => $message, )+ }
            }
        }
    };
}

codes! {
    /// Generic 404 for a route that does not exist.
    NotFound = 0, NotFound, "404: Not Found";
    /// Generic 405.
    MethodNotAllowed = 0, BadRequest, "405: Method Not Allowed";
    /// A backend failed.
    Internal = 0, Internal, "500: Internal Server Error";
    UnknownAccount = 10001, NotFound, "Unknown Account";
    UnknownApplication = 10002, NotFound, "Unknown Application";
    UnknownChannel = 10003, NotFound, "Unknown Channel";
    UnknownGuild = 10004, NotFound, "Unknown Guild";
    UnknownInvite = 10006, NotFound, "Unknown Invite";
    UnknownMember = 10007, NotFound, "Unknown Member";
    UnknownMessage = 10008, NotFound, "Unknown Message";
    UnknownOverwrite = 10009, NotFound, "Unknown Overwrite";
    UnknownRole = 10011, NotFound, "Unknown Role";
    UnknownUser = 10013, NotFound, "Unknown User";
    UnknownEmoji = 10014, BadRequest, "Unknown Emoji";
    UnknownWebhook = 10015, NotFound, "Unknown Webhook";
    UnknownBan = 10026, NotFound, "Unknown Ban";
    UnknownVoiceState = 10065, NotFound, "Unknown Voice State";
    BotsCannotUse = 20001, Forbidden, "Bots cannot use this endpoint";
    OnlyBots = 20002, Forbidden, "Only bots can use this endpoint";
    SlowmodeRateLimited = 20016, TooManyRequests, "This action cannot be performed due to slowmode rate limit.";
    MaxGuilds = 30001, BadRequest, "Maximum number of guilds reached (100)";
    MaxPins = 30003, BadRequest, "Maximum number of pins reached for the channel (250)";
    MaxRoles = 30005, BadRequest, "Maximum number of guild roles reached (250)";
    MaxWebhooks = 30007, BadRequest, "Maximum number of webhooks reached (15)";
    MaxReactions = 30010, BadRequest, "Maximum number of reactions reached (20)";
    MaxChannels = 30013, BadRequest, "Maximum number of guild channels reached (500)";
    MaxInvites = 30016, BadRequest, "Maximum number of invites reached (1000)";
    Unauthorized = 40001, Unauthorized, "401: Unauthorized";
    EntityTooLarge = 40005, PayloadTooLarge, "Request entity too large";
    BannedFromGuild = 40007, Forbidden, "The user is banned from this guild.";
    TargetNotInVoice = 40032, BadRequest, "Target user is not connected to voice.";
    MissingAccess = 50001, Forbidden, "Missing Access";
    InvalidAccountType = 50002, Forbidden, "Invalid account type";
    CannotEditOthersMessage = 50005, Forbidden, "Cannot edit a message authored by another user";
    EmptyMessage = 50006, BadRequest, "Cannot send an empty message";
    CannotMessageUser = 50007, Forbidden, "Cannot send messages to this user";
    NonTextChannel = 50008, BadRequest, "Cannot send messages in a non-text channel";
    MissingPermissions = 50013, Forbidden, "Missing Permissions";
    InvalidToken = 50014, Unauthorized, "Invalid authentication token provided";
    BulkDeleteCount = 50016, BadRequest, "You must provide at least 2 and fewer than 100 messages to delete.";
    PinWrongChannel = 50019, BadRequest, "A message can only be pinned to the channel it was sent in";
    InvalidInviteCode = 50020, BadRequest, "Invite code was either invalid or taken";
    SystemMessage = 50021, BadRequest, "Cannot execute action on a system message";
    WrongChannelType = 50024, BadRequest, "Cannot execute action on this channel type";
    InvalidWebhookToken = 50027, Unauthorized, "Invalid Webhook Token";
    InvalidRole = 50028, BadRequest, "Invalid Role";
    MessageTooOld = 50034, BadRequest, "A message provided was too old to bulk delete";
    InvalidFormBody = 50035, BadRequest, "Invalid Form Body";
    InvalidApiVersion = 50041, BadRequest, "Invalid API version provided";
    InvalidGuild = 50055, BadRequest, "Invalid Guild";
    InvalidJson = 50109, BadRequest, "The request body contains invalid JSON.";
    ReplyWithoutHistory = 160002, Forbidden, "Cannot reply without permission to read message history";
    /// `POST /guilds/{id}/bulk-ban` banned nobody.
    BulkBanFailed = 500000, BadRequest, "Failed to ban users";
}

/// A failed operation, as Discord reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    code: u32,
    message: Cow<'static, str>,
    errors: Option<serde_json::Value>,
    retry_after: Option<std::time::Duration>,
}

/// Result alias for core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a declared code and its standard message.
    pub const fn code(code: Code) -> Self {
        Self {
            kind: code.kind(),
            code: code.value(),
            message: Cow::Borrowed(code.message()),
            errors: None,
            retry_after: None,
        }
    }

    /// A declared code with a more specific message.
    pub fn with_message(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Self { message: message.into(), ..Self::code(code) }
    }

    /// 50035 with the nested field errors.
    pub fn form(errors: &FormErrors) -> Self {
        Self {
            kind: ErrorKind::BadRequest,
            code: INVALID_FORM_BODY_CODE,
            message: Cow::Borrowed(INVALID_FORM_BODY_MESSAGE),
            errors: Some(errors.to_errors_json()),
            retry_after: None,
        }
    }

    /// A domain rate limit (e.g. slowmode): `code` with when to try again.
    pub fn rate_limited(code: Code, retry_after: std::time::Duration) -> Self {
        Self { retry_after: Some(retry_after), ..Self::code(code) }
    }

    /// When a rate-limited request may be retried.
    pub const fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// 50035 with one field error.
    pub fn field(error: FormError) -> Self {
        let mut errors = FormErrors::new();
        errors.push(error);
        Self::form(&errors)
    }

    /// A backend failure: logged here, reported as a bare 500.
    pub fn internal(source: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %source, "internal error");
        Self::code(Code::Internal)
    }

    /// How to present it.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The numeric `code`.
    pub const fn code_value(&self) -> u32 {
        self.code
    }

    /// The `message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The nested `errors` object of a 50035.
    pub const fn errors(&self) -> Option<&serde_json::Value> {
        self.errors.as_ref()
    }

    /// The JSON body `{"code", "message", "errors"?}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({ "message": self.message, "code": self.code });
        if let Some(map) = body.as_object_mut() {
            if let Some(errors) = &self.errors {
                map.insert("errors".to_owned(), errors.clone());
            }
            // A 429 body always says when to retry, as Discord's rate-limit bodies do.
            if let Some(retry) = self.retry_after {
                map.insert("retry_after".to_owned(), ((retry.as_secs_f64() * 1000.0).ceil() / 1000.0).into());
                map.insert("global".to_owned(), false.into());
            }
        }
        body
    }

    /// Whether this is `code`.
    pub fn is(&self, code: Code) -> bool {
        self.code == code.value() && self.kind == code.kind()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Self::code(code)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::internal(&e)
    }
}

impl From<FormErrors> for Error {
    fn from(errors: FormErrors) -> Self {
        Self::form(&errors)
    }
}

impl From<FormError> for Error {
    fn from(error: FormError) -> Self {
        Self::field(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::PathSegment;

    #[test]
    fn body_shape() {
        assert_eq!(
            Error::code(Code::UnknownChannel).to_json(),
            serde_json::json!({"message": "Unknown Channel", "code": 10003})
        );
        let e = Error::field(FormError::required(&[PathSegment::field("name")]));
        let body = e.to_json();
        assert_eq!(body["code"], 50035);
        assert_eq!(body["errors"]["name"]["_errors"][0]["code"], "BASE_TYPE_REQUIRED");
    }

    #[test]
    fn not_found_codes_are_404() {
        for code in Code::ALL {
            if code.message().starts_with("Unknown ") && *code != Code::UnknownEmoji {
                assert_eq!(code.kind(), ErrorKind::NotFound, "{code:?}");
            }
        }
    }
}
