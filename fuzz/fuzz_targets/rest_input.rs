//! Everything a REST client sends that guildhall parses itself: every JSON request body (through
//! the same function the `Body` extractor uses), multipart message bodies (the parser and the
//! assembly of payload_json, fields and files), uploaded files' headers and names, mentions in
//! message content, the `{emoji}` path segment and the `X-Audit-Log-Reason` header. None may
//! panic; a body that is refused is refused with Discord's 50109 (not JSON) or 50035 (wrong
//! shape), never anything else.
#![no_main]

use guildhall_core::ops::{auth, bans, channels, guilds, invites, members, messages, oauth2, reactions, roles, users, webhooks};
use guildhall_core::ops::messages::attachments::{image_size, sanitize_filename};
use guildhall_http::extract::{audit_log_reason, message_form, parse_json};
use guildhall_http::multipart;
use libfuzzer_sys::fuzz_target;

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) {
    if let Err(error) = parse_json::<T>(bytes) {
        let code = error.0.code_value();
        assert!(code == 50035 || code == 50109, "unexpected code {code}");
        let json = error.0.to_json();
        assert!(json["message"].is_string());
    }
}

/// A multipart body: the boundary is the input up to the first newline, the body the rest.
fn multipart_body(data: &[u8]) {
    let Some(split) = data.iter().position(|b| *b == b'\n') else { return };
    let Ok(boundary) = std::str::from_utf8(&data[..split]) else { return };
    if let Some(from_header) = multipart::boundary(&format!("multipart/form-data; boundary={boundary}")) {
        assert!(!from_header.is_empty() && from_header.len() <= 70);
    }
    let body = axum::body::Bytes::copy_from_slice(&data[split + 1..]);
    let Ok(parts) = multipart::parse(&body, boundary) else { return };
    for part in &parts {
        assert!(part.data.len() <= body.len());
    }
    for result in [
        message_form::<messages::CreateMessage>(parts.clone()).map(|_| ()),
        message_form::<messages::EditMessage>(parts.clone()).map(|_| ()),
        message_form::<webhooks::ExecuteWebhook>(parts).map(|_| ()),
    ] {
        if let Err(error) = result {
            let code = error.0.code_value();
            assert!(code == 50035 || code == 50109, "unexpected code {code}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 30 {
        0 => body::<messages::CreateMessage>(rest),
        1 => body::<messages::EditMessage>(rest),
        2 => body::<messages::BulkDelete>(rest),
        3 => body::<channels::ChannelSettings>(rest),
        4 => body::<Vec<channels::ChannelPosition>>(rest),
        5 => body::<channels::EditOverwrite>(rest),
        6 => body::<guilds::CreateGuild>(rest),
        7 => body::<guilds::UpdateGuild>(rest),
        8 => body::<roles::RoleRequest>(rest),
        9 => body::<Vec<roles::RolePosition>>(rest),
        10 => body::<members::UpdateMember>(rest),
        11 => body::<members::UpdateCurrentMember>(rest),
        12 => body::<bans::CreateBan>(rest),
        13 => body::<bans::BulkBan>(rest),
        14 => body::<invites::CreateInvite>(rest),
        15 => body::<webhooks::CreateWebhook>(rest),
        16 => body::<webhooks::UpdateWebhook>(rest),
        17 => body::<webhooks::ExecuteWebhook>(rest),
        18 => body::<users::UpdateCurrentUser>(rest),
        19 => body::<users::CreateDm>(rest),
        20 => body::<auth::RegisterRequest>(rest),
        21 => body::<auth::LoginRequest>(rest),
        22 => {
            if let Ok(content) = std::str::from_utf8(rest) {
                let parsed = messages::parse_mentions(content);
                assert!(parsed.users.iter().all(|id| id.get() != 0));
                assert!(!parsed.everyone || content.contains("@everyone") || content.contains("@here"));
            }
        }
        23 => {
            if let Ok(raw) = std::str::from_utf8(rest) {
                if let Err(e) = reactions::parse_emoji(raw) {
                    assert_eq!(e.code_value(), 10014);
                }
            }
        }
        24 => {
            let mut headers = axum::http::HeaderMap::new();
            if let Ok(value) = axum::http::HeaderValue::from_bytes(rest) {
                headers.insert("x-audit-log-reason", value);
                assert!(audit_log_reason(&headers).is_some());
            }
        }
        25 => multipart_body(rest),
        26 => {
            if let Some((width, height)) = image_size(rest) {
                assert!(width > 0 && height > 0);
            }
            let name = sanitize_filename(&String::from_utf8_lossy(rest));
            assert!(!name.is_empty() && name.len() <= 255 && !name.contains(['/', '\\']));
            assert!(name.chars().any(|c| c != '.'));
        }
        27 => body::<oauth2::AuthorizeBody>(rest),
        28 => {
            // The authorize query string (`?client_id=…&scope=bot`), as axum's Query reads it.
            let _ = serde_urlencoded::from_bytes::<oauth2::AuthorizeQuery>(rest);
        }
        _ => body::<serde_json::Value>(rest),
    }
});
