//! Discord's error body over HTTP: `{"code", "message", "errors"?}` with the status of its kind
//! (protocol.md §3.2), and the mapping of every extractor rejection to it, so malformed input is
//! a 400/413 with a Discord body and never an axum plain-text error.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guildhall_core::limits::{FormError, FormErrors, PathSegment};
use guildhall_core::{Code, Error, ErrorKind};

/// A core error on its way out as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl From<Code> for ApiError {
    fn from(code: Code) -> Self {
        Self(Error::code(code))
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        Self(Error::field(e))
    }
}

/// The HTTP status of an error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            if self.0.is(Code::MethodNotAllowed) { StatusCode::METHOD_NOT_ALLOWED } else { status_of(self.0.kind()) };
        let mut response = (status, axum::Json(self.0.to_json())).into_response();
        if let Some(retry) = self.0.retry_after() {
            // discord.py treats a 429 without `Via` as a Cloudflare ban; discord.js needs
            // `Retry-After` to wait.
            let headers = response.headers_mut();
            let seconds = retry.as_secs_f64().ceil().max(1.0).to_string();
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
                headers.insert("retry-after", value);
            }
            headers.insert("via", axum::http::HeaderValue::from_static("1.1 guildhall"));
            headers.insert("x-ratelimit-scope", axum::http::HeaderValue::from_static("user"));
        }
        response
    }
}

/// 50035 for a JSON body that parsed but does not fit the request type: the field path comes
/// from serde, the code from what went wrong.
pub(crate) fn form_error_from_serde(path: &serde_path_to_error::Path, error: &serde_json::Error) -> Error {
    let mut segments: Vec<PathSegment> = path
        .iter()
        .filter_map(|seg| match seg {
            serde_path_to_error::Segment::Map { key } => Some(PathSegment::Field(key.clone().into())),
            serde_path_to_error::Segment::Seq { index } => Some(PathSegment::Index(*index)),
            _ => None,
        })
        .collect();
    let text = error.to_string();
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some(field) = rest.split('`').next()
    {
        segments.push(PathSegment::Field(field.to_owned().into()));
    }
    let (code, message) = classify(&text);
    let mut errors = FormErrors::new();
    errors.push(FormError::new(segments, code, message));
    Error::form(&errors)
}

/// Discord's form-error code and message for a serde error text.
pub(crate) fn classify(text: &str) -> (&'static str, String) {
    if text.starts_with("missing field `") {
        ("BASE_TYPE_REQUIRED", "This field is required".to_owned())
    } else if text.contains("expected true")
        || text.contains("expected a boolean")
        || text.contains("`true` or `false`")
    {
        ("BASE_TYPE_BOOLEAN", "Must be either true or false.".to_owned())
    } else if text.contains("expected a string") || text.contains("expected a borrowed string") {
        ("BASE_TYPE_STRING", "Could not interpret value as string.".to_owned())
    } else if text.contains("expected a sequence") {
        ("BASE_TYPE_ARRAY", "Must be an array.".to_owned())
    } else if text.contains("snowflake") || text.contains("id ") {
        ("NUMBER_TYPE_COERCE", "Value is not snowflake.".to_owned())
    } else if text.contains("expected u") || text.contains("expected i") || text.contains("integer") {
        ("NUMBER_TYPE_COERCE", "Value is not int.".to_owned())
    } else if text.contains("unknown variant") || text.contains("expected one of") {
        ("BASE_TYPE_CHOICES", "Value must be one of the allowed choices.".to_owned())
    } else {
        ("BASE_TYPE_INVALID", strip_position(text))
    }
}

/// serde_json appends " at line L column C"; Discord's messages have no positions.
fn strip_position(text: &str) -> String {
    text.rsplit_once(" at line ").map_or(text, |(head, _)| head).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(ApiError::from(Code::UnknownChannel).into_response().status(), StatusCode::NOT_FOUND);
        assert_eq!(ApiError::from(Code::MissingPermissions).into_response().status(), StatusCode::FORBIDDEN);
        assert_eq!(ApiError::from(Code::MethodNotAllowed).into_response().status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(ApiError::from(Code::EntityTooLarge).into_response().status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
