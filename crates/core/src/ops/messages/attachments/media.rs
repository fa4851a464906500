//! What the server works out about an uploaded file itself: a filename safe in a URL path, the
//! content type, and an image's size from its header (PNG, GIF, JPEG, WebP; nothing decoded).

/// Longest filename kept, in bytes (the sanitized name is ASCII).
const FILENAME_MAX: usize = 255;
/// Longest declared content type accepted.
const CONTENT_TYPE_MAX: usize = 255;

/// The filename an attachment gets: the last path component (no `/` or `\`), whitespace as
/// `_`, only ASCII letters, digits, `.`, `-` and `_` kept (as Discord does: `my file.png`
/// becomes `my_file.png`), at most 255 bytes with the extension kept. A name with nothing
/// left, or only dots (which URL resolution would eat), becomes `unknown`.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = base
        .chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => Some(c),
            c if c.is_whitespace() => Some('_'),
            _ => None,
        })
        .collect();
    if name.len() > FILENAME_MAX {
        let extension = name.rsplit_once('.').map(|(_, e)| e).filter(|e| e.len() <= 16).unwrap_or_default();
        let keep = FILENAME_MAX - extension.len() - usize::from(!extension.is_empty());
        name = if extension.is_empty() {
            name[..FILENAME_MAX].to_owned()
        } else {
            format!("{}.{extension}", &name[..keep])
        };
    }
    if name.chars().all(|c| c == '.') { "unknown".to_owned() } else { name }
}

/// The content type for a file extension, Discord-style (text types carry a UTF-8 charset).
pub fn guess_content_type(filename: &str) -> Option<&'static str> {
    let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" | "jfif" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/x-wav",
        "flac" => "audio/flac",
        "m4a" => "audio/mp4",
        "txt" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        _ => return None,
    })
}

/// An attachment's content type: the part's own `Content-Type` when it says something (a
/// well-formed type other than `application/octet-stream`, which discord.py sends for every
/// file), else the extension's, else none.
pub(crate) fn content_type(declared: Option<&str>, filename: &str) -> Option<String> {
    let declared = declared.map(str::trim).filter(|t| {
        let essence = t.split(';').next().unwrap_or_default().trim();
        t.len() <= CONTENT_TYPE_MAX
            && t.bytes().all(|b| (0x20..0x7f).contains(&b))
            && essence.split_once('/').is_some_and(|(a, b)| is_token(a) && is_token(b))
            && !essence.eq_ignore_ascii_case("application/octet-stream")
    });
    declared.map(str::to_owned).or_else(|| guess_content_type(filename).map(str::to_owned))
}

/// An RFC 9110 token.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn be16(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(*data.get(at..)?.first_chunk::<2>()?)))
}

fn le16(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(*data.get(at..)?.first_chunk::<2>()?)))
}

fn le24(data: &[u8], at: usize) -> Option<u32> {
    let [a, b, c] = *data.get(at..)?.first_chunk::<3>()?;
    Some(u32::from_le_bytes([a, b, c, 0]))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(*data.get(at..)?.first_chunk::<4>()?))
}

/// `(width, height)` of a PNG, GIF, JPEG or WebP image, read from its header; `None` for
/// anything else, a truncated header or a zero size.
pub fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    let size = if data.starts_with(b"\x89PNG\r\n\x1a\n") && data.get(12..16) == Some(b"IHDR") {
        (be32(data, 16)?, be32(data, 20)?)
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        (le16(data, 6)?, le16(data, 8)?)
    } else if data.starts_with(b"\xff\xd8") {
        jpeg_size(data)?
    } else if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        webp_size(data)?
    } else {
        return None;
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
}

/// Walks the JPEG segments to the first start-of-frame, which holds the size.
fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while *data.get(at)? == 0xff && *data.get(at + 1)? == 0xff {
            at += 1;
        }
        if *data.get(at)? != 0xff {
            return None;
        }
        let marker = *data.get(at + 1)?;
        if matches!(marker, 0x01 | 0xd0..=0xd7) {
            at += 2;
            continue;
        }
        if marker == 0xd9 || marker == 0xda {
            // End of image or start of scan before any frame header.
            return None;
        }
        let length = usize::try_from(be16(data, at + 2)?).ok()?;
        if matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
            return Some((be16(data, at + 7)?, be16(data, at + 5)?));
        }
        if length < 2 {
            return None;
        }
        at += 2 + length;
    }
}

/// The three WebP flavours: extended (`VP8X`), lossless (`VP8L`) and lossy (`VP8 `).
fn webp_size(data: &[u8]) -> Option<(u32, u32)> {
    match data.get(12..16)? {
        b"VP8X" => Some((le24(data, 24)? + 1, le24(data, 27)? + 1)),
        b"VP8L" => {
            let bits = u32::from_le_bytes(*data.get(21..)?.first_chunk::<4>()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8 " => Some((le16(data, 26)? & 0x3fff, le16(data, 28)? & 0x3fff)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames() {
        for (raw, want) in [
            ("cat.png", "cat.png"),
            ("my file.png", "my_file.png"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\report.pdf", "report.pdf"),
            ("héllo wörld.txt", "hllo_wrld.txt"),
            ("..", "unknown"),
            ("", "unknown"),
            ("日本.png", ".png"),
            ("a?b#c%20d.gif", "abc20d.gif"),
        ] {
            assert_eq!(sanitize_filename(raw), want, "{raw}");
        }
        let long = format!("{}.jpeg", "x".repeat(400));
        let name = sanitize_filename(&long);
        assert_eq!(name.len(), 255);
        assert!(name.ends_with("x.jpeg"));
        assert_eq!(sanitize_filename(&"y".repeat(300)).len(), 255);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Some("application/octet-stream"), "a.PNG").as_deref(), Some("image/png"));
        assert_eq!(content_type(None, "notes.txt").as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(content_type(Some("text/x-rust"), "main.rs").as_deref(), Some("text/x-rust"));
        assert_eq!(content_type(Some("application/octet-stream"), "blob.bin"), None);
        assert_eq!(content_type(None, "noext"), None);
        assert_eq!(content_type(Some("bad\r\nheader: x"), "a.gif").as_deref(), Some("image/gif"));
        assert_eq!(content_type(Some("no slash"), "x").as_deref(), None);
    }

    #[test]
    fn image_sizes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((640, 480)));
        assert_eq!(image_size(&png[..20]), None);
        assert_eq!(image_size(b"GIF89a\x20\x00\x10\x00"), Some((32, 16)));
        // SOI, an APP0 segment of 4 bytes, then SOF0 with height 2 and width 3.
        let jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xff\xc0\x00\x11\x08\x00\x02\x00\x03";
        assert_eq!(image_size(jpeg), Some((3, 2)));
        assert_eq!(image_size(b"\xff\xd8\xff\xe0\x00\x00"), None);
        assert_eq!(image_size(b"\xff\xd8\xff\xda"), None);
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[99, 0, 0, 49, 0, 0]);
        assert_eq!(image_size(&webp), Some((100, 50)));
        assert_eq!(image_size(b"plain text"), None);
        assert_eq!(image_size(b"GIF89a\x00\x00\x10\x00"), None, "zero width");
    }
}
