//! Recording a session's dispatches between two barrier roles, keyed for comparison.

use std::time::{Duration, Instant};

use guildhall_testkit::gateway::{Ended, Frame, GatewayClient};
use serde_json::Value;

/// The role whose GUILD_ROLE_CREATE starts the recording.
pub const START: &str = "barrier-start";
/// The role whose GUILD_ROLE_CREATE ends it.
pub const END: &str = "barrier-end";

/// What the oracle keys an event by: `(t, identity)`; message bodies include the content the
/// session must see.
pub type Key = (String, String);

pub fn key_of(frame: &Frame) -> Key {
    let d = &frame.d;
    let s = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let id = match frame.name() {
        "MESSAGE_CREATE" | "MESSAGE_UPDATE" => format!("{}|{}", s(&d["id"]), s(&d["content"])),
        "MESSAGE_REACTION_ADD" => format!("{}|{}|{}", s(&d["message_id"]), s(&d["emoji"]["name"]), s(&d["user_id"])),
        "TYPING_START" => format!("{}|{}", s(&d["channel_id"]), s(&d["user_id"])),
        "CHANNEL_PINS_UPDATE" | "WEBHOOKS_UPDATE" => s(&d["channel_id"]),
        "GUILD_ROLE_CREATE" | "GUILD_ROLE_UPDATE" => s(&d["role"]["id"]),
        "GUILD_ROLE_DELETE" => s(&d["role_id"]),
        "GUILD_MEMBER_UPDATE" => s(&d["user"]["id"]),
        "INVITE_CREATE" | "INVITE_DELETE" => s(&d["code"]),
        _ if d["id"].is_string() => s(&d["id"]),
        _ => d.to_string(),
    };
    (frame.name().to_owned(), id)
}

/// Reads a session from the start barrier to the end barrier, heartbeating meanwhile; returns
/// every dispatch in between (barriers excluded) with its `s`.
pub async fn record(mut client: GatewayClient) -> Vec<(u64, Frame)> {
    let is_role = |f: &Frame, name: &str| f.name() == "GUILD_ROLE_CREATE" && f.d["role"]["name"] == name;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut last_beat = Instant::now();
    let mut started = false;
    let mut out = Vec::new();
    let mut last_seq = None;
    loop {
        assert!(Instant::now() < deadline, "session never saw {END}");
        if last_beat.elapsed() > Duration::from_secs(20) {
            client.heartbeat().await;
            last_beat = Instant::now();
        }
        let frame = match client.try_next_frame(Duration::from_secs(5)).await {
            Ok(frame) => frame,
            Err(Ended::Timeout) => continue,
            Err(Ended::Closed(code)) => panic!("session closed with {code:?}"),
        };
        if frame.op != 0 {
            assert_eq!(frame.op, 11, "unexpected frame {}", frame.raw);
            continue;
        }
        let s = frame.s.unwrap();
        if let Some(last) = last_seq {
            assert_eq!(s, last + 1, "s is consecutive ({} after {last})", frame.name());
        }
        last_seq = Some(s);
        if !started {
            started = is_role(&frame, START);
            continue;
        }
        if is_role(&frame, END) {
            return out;
        }
        out.push((s, frame));
    }
}
