//! Extractors whose rejections are Discord error bodies: [`Auth`] (the acting user or bot),
//! [`Body`] (JSON with Discord's 50109/50035/40005 answers), [`MessageBody`] (the same, or a
//! form with files, in `message_body`), [`Query`] and [`Path`] (50035 with the offending
//! field).

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use guildhall_core::limits::{FormError, PathSegment};
use guildhall_core::{Actor, Code, Error};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{ApiError, form_error_from_serde};

mod message_body;

pub use message_body::{MessageBody, message_form};

/// The authenticated actor (`Authorization: Bot <token>` or a bare user token); 401 otherwise.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::from(Code::Unauthorized))?;
        Ok(Self(state.core.authenticate(header).await?))
    }
}

/// A JSON request body. An empty body reads as `{}` (so optional-body routes work without
/// one); a body must be `application/json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = content_type(&request);
        let bytes = buffer(request, state).await?;
        // Routes that take files raise the body limit for multipart; JSON keeps the usual one.
        if bytes.len() > state.config.max_body_bytes {
            return Err(ApiError::from(Code::EntityTooLarge));
        }
        json_body(content_type.as_deref(), &bytes, "{'application/json'}").map(Body)
    }
}

/// The essence of the request's `Content-Type` (`application/json`), lowercased.
fn content_type(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// The whole body; over the route's limit is 40005 (a 413).
async fn buffer(request: Request, state: &AppState) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::from(Code::EntityTooLarge)
        }
        _ => ApiError::from(Code::InvalidJson),
    })
}

/// A JSON body: blank reads as `{}`; anything else must say `application/json` (50035 naming
/// the `accepted` types otherwise).
fn json_body<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8], accepted: &str) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    if bytes != b"{}" && content_type != Some("application/json") {
        return Err(ApiError(Error::field(FormError::new(
            Vec::new(),
            "CONTENT_TYPE_INVALID",
            format!("Expected \"Content-Type\" header to be one of {accepted}."),
        ))));
    }
    parse_json(bytes)
}

/// Parses a JSON body the way [`Body`] does (also used for `payload_json`-style fields).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax errors are 50109; a well-formed body of the wrong shape is 50035 at its path.
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
        return Err(ApiError::from(Code::InvalidJson));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| ApiError(form_error_from_serde(e.path(), e.inner())))
}

/// Query parameters; a value of the wrong type is 50035 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let field = e.path().to_string();
            let (code, message) = crate::error::classify(&e.inner().to_string());
            ApiError(Error::field(FormError::new(vec![PathSegment::Field(field.into())], code, message)))
        })
    }
}

/// The `X-Audit-Log-Reason` header, percent-decoded (clients URL-encode it). Invalid escapes are
/// kept as written and invalid UTF-8 is replaced, so a sloppy header never fails the request.
pub fn audit_log_reason(headers: &axum::http::HeaderMap) -> Option<String> {
    let raw = headers.get("x-audit-log-reason")?.as_bytes();
    Some(percent_encoding::percent_decode(raw).decode_utf8_lossy().into_owned())
}

/// Path parameters; a malformed snowflake is 50035 `NUMBER_TYPE_COERCE` under the parameter's
/// name, as on Discord.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind as K;
                let params: Vec<(String, String)> = axum::extract::RawPathParams::from_request_parts(parts, state)
                    .await
                    .map(|raw| raw.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
                    .unwrap_or_default();
                let names: Vec<String> = params.iter().map(|(k, _)| k.clone()).collect();
                // Otherwise: the first parameter that is not a valid snowflake.
                let first_bad = || {
                    params
                        .iter()
                        .find(|(k, v)| {
                            k != "token" && k != "emoji" && k != "code" && v.parse::<std::num::NonZeroU64>().is_err()
                        })
                        .cloned()
                        .unwrap_or_default()
                };
                let (key, value) = match e.kind() {
                    K::ParseErrorAtKey { key, value, .. } => (key.clone(), value.clone()),
                    K::ParseErrorAtIndex { index, value, .. } => {
                        (names.get(*index).cloned().unwrap_or_default(), value.clone())
                    }
                    K::ParseError { value, .. } => (names.first().cloned().unwrap_or_default(), value.clone()),
                    _ => first_bad(),
                };
                let path = if key.is_empty() { Vec::new() } else { vec![PathSegment::Field(key.into())] };
                Err(ApiError(Error::field(FormError::new(
                    path,
                    "NUMBER_TYPE_COERCE",
                    format!("Value \"{value}\" is not snowflake."),
                ))))
            }
            Err(_) => Err(ApiError::from(Code::NotFound)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_percent_decoded() {
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(audit_log_reason(&headers), None);
        for (raw, want) in [
            ("spam%20and%20abuse", "spam and abuse"),
            ("caf%C3%A9", "café"),
            ("100%", "100%"),
            ("%zz%4", "%zz%4"),
            ("a+b", "a+b"),
        ] {
            headers.insert("x-audit-log-reason", raw.parse().unwrap_or_else(|_| panic!("{raw}")));
            assert_eq!(audit_log_reason(&headers).as_deref(), Some(want), "{raw}");
        }
    }

    #[tokio::test]
    async fn query_parsing() {
        #[derive(serde::Deserialize)]
        struct Q {
            limit: Option<u32>,
            with_counts: Option<bool>,
            before: Option<guildhall_model::Id<guildhall_model::id::marker::MessageMarker>>,
            query: Option<String>,
        }
        let request = axum::http::Request::builder()
            .uri("/x?limit=50&with_counts=true&before=123456789012345678&query=12%20a")
            .body(())
            .unwrap_or_default();
        let (mut parts, ()) = request.into_parts();
        let Ok(Query(q)) = Query::<Q>::from_request_parts(&mut parts, &()).await else { panic!("rejected") };
        assert_eq!(q.limit, Some(50));
        assert_eq!(q.with_counts, Some(true));
        assert_eq!(q.before.map(|b| b.get()), Some(123_456_789_012_345_678));
        assert_eq!(q.query.as_deref(), Some("12 a"));
    }
}
