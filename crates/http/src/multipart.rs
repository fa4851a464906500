//! `multipart/form-data` bodies (RFC 7578) as Discord libraries send them: a buffered body is
//! split into parts without copying, each with its `name`, optional `filename` and
//! `Content-Type`.
//!
//! What clients really send, and so what is accepted: discord.py (aiohttp) writes quoted
//! parameters with backslash escapes and raw UTF-8; discord.js (undici) and browsers
//! percent-encode `"`, CR and LF; curl backslash-escapes; `filename*=UTF-8''…` (RFC 5987) wins
//! over `filename` when both are present. Everything here reads client bytes, so it is fuzzed
//! (`fuzz/fuzz_targets/rest_input.rs`) and never panics.

use axum::body::Bytes;

/// Longest boundary RFC 2046 allows.
const BOUNDARY_MAX: usize = 70;
/// Largest header block of one part; a part's headers are a few short lines.
const HEADERS_MAX: usize = 16 * 1024;
/// Most parts in one body (10 files, `payload_json`, and plain fields).
const PARTS_MAX: usize = 64;

/// One part of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, if the part is a file.
    pub filename: Option<String>,
    /// Its `Content-Type`, if given.
    pub content_type: Option<String>,
    /// The content (a slice of the body).
    pub data: Bytes,
}

/// Why a body is not multipart/form-data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The `boundary` parameter of a `Content-Type` header value.
pub fn boundary(content_type: &str) -> Option<String> {
    let (_, params) = content_type.split_once(';')?;
    let boundary = parameters(params).into_iter().find(|(k, _)| k.eq_ignore_ascii_case("boundary"))?.1;
    let ok = (1..=BOUNDARY_MAX).contains(&boundary.len()) && boundary.bytes().all(|b| (0x20..0x7f).contains(&b));
    ok.then_some(boundary)
}

/// Splits `body` at `boundary` into its parts.
pub fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, Malformed> {
    if boundary.is_empty() || boundary.len() > BOUNDARY_MAX {
        return Err(Malformed("bad boundary"));
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let finder = memchr::memmem::Finder::new(&next_delimiter);
    // The first delimiter opens the body, or ends a preamble.
    let mut at = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        finder.find(body).ok_or(Malformed("no boundary in the body"))? + next_delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..).unwrap_or_default();
        if rest.starts_with(b"--") {
            // The closing delimiter; anything after it is an epilogue, ignored.
            return Ok(parts);
        }
        // Transport padding may follow a delimiter before its line break.
        let padding = rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(Malformed("boundary not followed by a line break"));
        }
        at += padding + 2;
        let rest = body.get(at..).unwrap_or_default();
        let (headers, header_len) = if rest.starts_with(b"\r\n") {
            // No headers at all (then it has no name and is refused below).
            (&rest[..0], 2)
        } else {
            let end = memchr::memmem::find(&rest[..rest.len().min(HEADERS_MAX)], b"\r\n\r\n")
                .ok_or(Malformed("part headers do not end"))?;
            (&rest[..end], end + 4)
        };
        let (name, filename, content_type) = part_headers(headers)?;
        at += header_len;
        let content_len = finder.find(body.get(at..).unwrap_or_default()).ok_or(Malformed("body does not end"))?;
        parts.push(Part { name, filename, content_type, data: body.slice(at..at + content_len) });
        if parts.len() > PARTS_MAX {
            return Err(Malformed("too many parts"));
        }
        at += content_len + next_delimiter.len();
    }
}

/// `(name, filename, content type)` from a part's header lines.
fn part_headers(block: &[u8]) -> Result<(String, Option<String>, Option<String>), Malformed> {
    let text = String::from_utf8_lossy(block);
    let mut disposition = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else { continue };
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.trim().to_owned());
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        }
    }
    let disposition = disposition.ok_or(Malformed("part without Content-Disposition"))?;
    let (kind, params) = disposition.split_once(';').unwrap_or((&disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(Malformed("part is not form-data"));
    }
    let params = parameters(params);
    let get = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
    let name = get("name").ok_or(Malformed("part without a name"))?;
    let filename = get("filename*").and_then(|v| decode_extended(&v)).or_else(|| get("filename"));
    Ok((name, filename, content_type))
}

/// `key=value` parameters after a header's first `;`: values are tokens or quoted strings
/// (backslash escapes undone); keys are kept as written.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        // Skip separators and whitespace before a key.
        while chars.next_if(|c| *c == ';' || c.is_whitespace()).is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
                // Anything between the closing quote and the next `;` is junk.
                while chars.next_if(|c| *c != ';').is_some() {}
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ';')).collect::<String>().trim().to_owned();
            }
        }
        let key = key.trim();
        if !key.is_empty() {
            out.push((key.to_owned(), value));
        }
    }
}

/// An RFC 5987 value (`UTF-8''caf%C3%A9.png`); `None` unless UTF-8 and well-formed.
fn decode_extended(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_encoding::percent_decode_str(encoded).decode_utf8().ok().map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Bytes {
        Bytes::from(text.replace('\n', "\r\n"))
    }

    #[test]
    fn boundaries() {
        assert_eq!(boundary("multipart/form-data; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(boundary("multipart/form-data;boundary=\"a b;c\"").as_deref(), Some("a b;c"));
        assert_eq!(boundary("multipart/form-data; charset=x; BOUNDARY=z").as_deref(), Some("z"));
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
        assert_eq!(boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))), None);
    }

    #[test]
    fn discord_py_and_discord_js_shapes() {
        let text = "preamble\n--XyZ\nContent-Disposition: form-data; name=\"payload_json\"\n\n{\"content\":\"hi\"}\n\
                    --XyZ  \nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a \\\"b\\\".png\"\n\
                    Content-Type: application/octet-stream\n\nPNG\nDATA\n--XyZ\n\
                    content-disposition: form-data; name=\"files[1]\"; filename=\"x.txt\"; filename*=UTF-8''caf%C3%A9.txt\n\n\
                    \n--XyZ--\nepilogue";
        let parts = parse(&body(text), "XyZ").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[0].name.as_str(), parts[0].filename.as_deref()), ("payload_json", None));
        assert_eq!(&parts[0].data[..], b"{\"content\":\"hi\"}");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("application/octet-stream"));
        assert_eq!(&parts[1].data[..], b"PNG\r\nDATA");
        assert_eq!(parts[2].filename.as_deref(), Some("café.txt"));
        assert_eq!(&parts[2].data[..], b"");
    }

    #[test]
    fn malformed_bodies() {
        for text in [
            "",
            "no boundary here",
            "--b\nContent-Disposition: form-data; name=\"a\"\n\nunterminated",
            "--b\nContent-Disposition: form-data\n\nx\n--b--",
            "--b\nContent-Type: text/plain\n\nx\n--b--",
            "--b\nContent-Disposition: attachment; name=\"a\"\n\nx\n--b--",
            "--bX\n",
            "--b\nContent-Disposition: form-data; name=\"a\"",
            "--b\n\nno headers\n--b--",
        ] {
            assert!(parse(&body(text), "b").is_err(), "{text:?}");
        }
        let many: String =
            (0..=PARTS_MAX).map(|i| format!("--b\nContent-Disposition: form-data; name=\"f{i}\"\n\nx\n")).collect();
        assert_eq!(parse(&body(&format!("{many}--b--")), "b"), Err(Malformed("too many parts")));
        assert_eq!(parse(&body("--b--"), "b"), Ok(Vec::new()));
    }

    #[test]
    fn parameter_syntax() {
        let params = parameters(" name=\"a;b\"; filename=plain.txt ;x=\"unterminated");
        assert_eq!(
            params,
            vec![
                ("name".to_owned(), "a;b".to_owned()),
                ("filename".to_owned(), "plain.txt".to_owned()),
                ("x".to_owned(), "unterminated".to_owned())
            ]
        );
        assert_eq!(decode_extended("utf-8'en'%E2%9C%93"), Some("✓".to_owned()));
        assert_eq!(decode_extended("latin1''x"), None);
        assert_eq!(decode_extended("UTF-8''%FF"), None);
    }
}
