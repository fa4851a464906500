//! [`MessageBody`]: the body of the routes that post or edit messages, which Discord takes as
//! JSON, as `application/x-www-form-urlencoded` fields, or as `multipart/form-data` with files
//! (protocol.md §3.1).
//!
//! In a multipart body the JSON comes in a `payload_json` part (discord.py, discord.js) or,
//! without one, as plain form fields; files are the parts named `files[n]`, and also the older
//! `file` / `fileN` and any other part with a filename (numbered in order when the name has no
//! index). `attachments[].id` in the JSON refers to `n`.

use axum::extract::{FromRequest, Request};
use guildhall_core::limits::FormError;
use guildhall_core::ops::messages::Upload;
use guildhall_core::{Code, Error};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{buffer, content_type, json_body, parse_json};
use crate::AppState;
use crate::error::ApiError;
use crate::multipart::{self, Part};

/// The content types a message body may have.
const ACCEPTED: &str = "{'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'}";

/// Form fields that are strings whatever they look like (`content=123` is text, not a number);
/// every other field is read as JSON when it parses as JSON (`tts=true`, `embeds=[…]`).
const STRING_FIELDS: &[&str] = &["content", "nonce", "username", "avatar_url", "thread_name"];

/// A message request body and its uploaded files. JSON bodies are read as [`super::Body`]
/// reads them (up to the JSON body limit); forms up to the upload limit of the route.
#[derive(Debug, Clone, Default)]
pub struct MessageBody<T>(pub T, pub Vec<Upload>);

impl<T: DeserializeOwned> FromRequest<AppState> for MessageBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let essence = content_type(&request);
        let full_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = buffer(request, state).await?;
        match essence.as_deref() {
            Some("multipart/form-data") => {
                let boundary = multipart::boundary(&full_type).ok_or_else(|| malformed("no boundary"))?;
                let parts = multipart::parse(&bytes, &boundary).map_err(|e| malformed(e.0))?;
                let (body, files) = message_form(parts)?;
                Ok(Self(body, files))
            }
            Some("application/x-www-form-urlencoded") => {
                let fields = form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned()));
                Ok(Self(from_fields(fields)?, Vec::new()))
            }
            _ => {
                if bytes.len() > state.config.max_body_bytes {
                    return Err(ApiError::from(Code::EntityTooLarge));
                }
                Ok(Self(json_body(essence.as_deref(), &bytes, ACCEPTED)?, Vec::new()))
            }
        }
    }
}

/// 50035 for a body that says multipart but is not.
fn malformed(why: &str) -> ApiError {
    ApiError(Error::field(FormError::new(
        Vec::new(),
        "CONTENT_TYPE_INVALID",
        format!("Invalid multipart/form-data body: {why}."),
    )))
}

/// `Some(index)` for the names files come under: `files[n]` and `fileN` carry their `n`,
/// `file` and `files` none; `None` for other names.
fn file_index(name: &str) -> Option<Option<u64>> {
    if name == "file" || name == "files" {
        return Some(None);
    }
    let digits =
        name.strip_prefix("files[").and_then(|rest| rest.strip_suffix(']')).or_else(|| name.strip_prefix("file"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

/// The request and its files from the parts of a multipart body: `payload_json` if present,
/// else the plain fields, as the JSON; the files numbered as the module docs say.
pub fn message_form<T: DeserializeOwned>(parts: Vec<Part>) -> Result<(T, Vec<Upload>), ApiError> {
    let mut payload = None;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    for part in parts {
        let index = file_index(&part.name);
        if part.filename.is_some() || index.is_some() {
            let position = u64::try_from(files.len()).unwrap_or(u64::MAX);
            files.push(Upload {
                index: index.flatten().unwrap_or(position),
                filename: part.filename.unwrap_or_else(|| "unknown".to_owned()),
                content_type: part.content_type,
                data: part.data.to_vec(),
            });
        } else if part.name == "payload_json" {
            payload = Some(part.data);
        } else {
            fields.push((part.name, String::from_utf8_lossy(&part.data).into_owned()));
        }
    }
    let body = match payload {
        Some(json) if json.iter().all(u8::is_ascii_whitespace) => parse_json(b"{}")?,
        Some(json) => parse_json(&json)?,
        None => from_fields(fields)?,
    };
    Ok((body, files))
}

/// A request from form fields (see [`STRING_FIELDS`]); a repeated field keeps its last value.
fn from_fields<T: DeserializeOwned>(fields: impl IntoIterator<Item = (String, String)>) -> Result<T, ApiError> {
    let mut map = Map::new();
    for (name, text) in fields {
        let value = if STRING_FIELDS.contains(&name.as_str()) {
            Value::String(text)
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        map.insert(name, value);
    }
    let json = serde_json::to_vec(&Value::Object(map)).map_err(|e| ApiError(Error::internal(&e)))?;
    parse_json(&json)
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use guildhall_core::ops::messages::CreateMessage;

    use super::*;

    fn part(name: &str, filename: Option<&str>, data: &str) -> Part {
        Part {
            name: name.to_owned(),
            filename: filename.map(str::to_owned),
            content_type: None,
            data: Bytes::copy_from_slice(data.as_bytes()),
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(file_index("files[3]"), Some(Some(3)));
        assert_eq!(file_index("file12"), Some(Some(12)));
        assert_eq!(file_index("file"), Some(None));
        assert_eq!(file_index("files"), Some(None));
        for other in ["files[]", "files[x]", "filename", "payload_json", "files[1", "file-1"] {
            assert_eq!(file_index(other), None, "{other}");
        }
    }

    #[test]
    fn payload_json_and_files() {
        let parts = vec![
            part("files[1]", Some("b.txt"), "B"),
            part("payload_json", None, r#"{"content":"hi","attachments":[{"id":0,"description":"alt"}]}"#),
            part("files[0]", Some("a.txt"), "A"),
            part("content", None, "ignored: payload_json wins"),
        ];
        let (body, files): (CreateMessage, _) = message_form(parts).unwrap();
        assert_eq!(body.content.as_deref(), Some("hi"));
        assert_eq!(body.attachments.unwrap()[0].description.as_deref(), Some("alt"));
        let got: Vec<_> = files.iter().map(|f| (f.index, f.filename.as_str(), f.data.as_slice())).collect();
        assert_eq!(got, vec![(1, "b.txt", &b"B"[..]), (0, "a.txt", &b"A"[..])]);
    }

    #[test]
    fn plain_fields_and_unnumbered_files() {
        let parts = vec![
            part("content", None, "123"),
            part("tts", None, "true"),
            part("embeds", None, r#"[{"title":"t"}]"#),
            part("file", Some("x.png"), "X"),
            part("upload", Some("y.png"), "Y"),
        ];
        let (body, files): (CreateMessage, _) = message_form(parts).unwrap();
        assert_eq!(body.content.as_deref(), Some("123"));
        assert_eq!(body.tts, Some(true));
        assert_eq!(body.embeds.map(|e| e.len()), Some(1));
        assert_eq!(files.iter().map(|f| f.index).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn bad_payload_json() {
        let not_json = message_form::<CreateMessage>(vec![part("payload_json", None, "{nope")]);
        assert_eq!(not_json.err().map(|e| e.0.code_value()), Some(50109));
        let wrong_type = message_form::<CreateMessage>(vec![part("payload_json", None, r#"{"tts":"x"}"#)]);
        assert_eq!(wrong_type.err().map(|e| e.0.code_value()), Some(50035));
        let wrong_field = message_form::<CreateMessage>(vec![part("tts", None, "maybe")]);
        assert_eq!(wrong_field.err().map(|e| e.0.code_value()), Some(50035));
    }
}
