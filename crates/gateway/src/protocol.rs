//! Gateway wire facts (protocol.md §1.2–1.4): opcodes, close codes, parsing of client frames
//! and the envelopes of server frames. No IO.

use guildhall_model::gateway::{Identify, Resume};
use serde::Deserialize;

/// Opcodes (protocol.md §1.3).
pub mod op {
    pub const DISPATCH: u8 = 0;
    pub const HEARTBEAT: u8 = 1;
    pub const IDENTIFY: u8 = 2;
    pub const PRESENCE_UPDATE: u8 = 3;
    pub const VOICE_STATE_UPDATE: u8 = 4;
    pub const RESUME: u8 = 6;
    pub const RECONNECT: u8 = 7;
    pub const REQUEST_GUILD_MEMBERS: u8 = 8;
    pub const INVALID_SESSION: u8 = 9;
    pub const HELLO: u8 = 10;
    pub const HEARTBEAT_ACK: u8 = 11;
    pub const REQUEST_SOUNDBOARD_SOUNDS: u8 = 31;
    pub const REQUEST_CHANNEL_INFO: u8 = 43;
}

/// The close codes the server sends (protocol.md §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCode {
    UnknownError,
    UnknownOpcode,
    DecodeError,
    NotAuthenticated,
    AuthenticationFailed,
    AlreadyAuthenticated,
    InvalidSeq,
    RateLimited,
    SessionTimedOut,
    InvalidShard,
    ShardingRequired,
    InvalidApiVersion,
    InvalidIntents,
    DisallowedIntents,
}

impl CloseCode {
    /// The number sent in the close frame.
    pub const fn code(self) -> u16 {
        match self {
            Self::UnknownError => 4000,
            Self::UnknownOpcode => 4001,
            Self::DecodeError => 4002,
            Self::NotAuthenticated => 4003,
            Self::AuthenticationFailed => 4004,
            Self::AlreadyAuthenticated => 4005,
            Self::InvalidSeq => 4007,
            Self::RateLimited => 4008,
            Self::SessionTimedOut => 4009,
            Self::InvalidShard => 4010,
            Self::ShardingRequired => 4011,
            Self::InvalidApiVersion => 4012,
            Self::InvalidIntents => 4013,
            Self::DisallowedIntents => 4014,
        }
    }

    /// Discord's short explanation, sent as the close reason.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::UnknownError => "Unknown error.",
            Self::UnknownOpcode => "Unknown opcode.",
            Self::DecodeError => "Error while decoding payload.",
            Self::NotAuthenticated => "Not authenticated.",
            Self::AuthenticationFailed => "Authentication failed.",
            Self::AlreadyAuthenticated => "Already authenticated.",
            Self::InvalidSeq => "Invalid seq.",
            Self::RateLimited => "Rate limited.",
            Self::SessionTimedOut => "Session timed out.",
            Self::InvalidShard => "Invalid shard.",
            Self::ShardingRequired => "Sharding required.",
            Self::InvalidApiVersion => "Invalid API version.",
            Self::InvalidIntents => "Invalid intent(s).",
            Self::DisallowedIntents => "Disallowed intent(s).",
        }
    }

    /// Whether a client may reconnect after this code (the last column of §1.4).
    pub const fn may_reconnect(self) -> bool {
        !matches!(
            self,
            Self::AuthenticationFailed
                | Self::InvalidShard
                | Self::ShardingRequired
                | Self::InvalidApiVersion
                | Self::InvalidIntents
                | Self::DisallowedIntents
        )
    }
}

/// A command a client sent, parsed as far as the state machine needs. The bodies of op 3, 4
/// and 8 stay JSON: the operations that carry them out validate them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// op 1 with the client's last sequence number.
    Heartbeat(Option<u64>),
    Identify(Box<Identify>),
    PresenceUpdate(serde_json::Value),
    VoiceStateUpdate(serde_json::Value),
    Resume(Resume),
    RequestGuildMembers(serde_json::Value),
    /// op 31 / op 43 and other commands Discord accepts but this server has nothing for.
    Ignored(u8),
}

#[derive(Deserialize)]
struct Envelope {
    op: serde_json::Value,
    #[serde(default)]
    d: serde_json::Value,
}

/// Parses one client frame (text or binary, both carry JSON). Not JSON or no `op` → 4002;
/// an op the gateway does not know, or a body that does not fit it → 4001.
pub fn parse_command(bytes: &[u8]) -> Result<Command, CloseCode> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|_| CloseCode::DecodeError)?;
    let op = envelope.op.as_u64().ok_or(CloseCode::DecodeError)?;
    let op = u8::try_from(op).map_err(|_| CloseCode::UnknownOpcode)?;
    let d = envelope.d;
    let invalid = |_| CloseCode::UnknownOpcode;
    Ok(match op {
        op::HEARTBEAT => Command::Heartbeat(match d {
            serde_json::Value::Null => None,
            serde_json::Value::Number(n) => Some(n.as_u64().ok_or(CloseCode::UnknownOpcode)?),
            _ => return Err(CloseCode::UnknownOpcode),
        }),
        op::IDENTIFY => Command::Identify(Box::new(serde_json::from_value(d).map_err(invalid)?)),
        op::PRESENCE_UPDATE => Command::PresenceUpdate(object(d)?),
        op::VOICE_STATE_UPDATE => Command::VoiceStateUpdate(object(d)?),
        op::RESUME => Command::Resume(serde_json::from_value(d).map_err(invalid)?),
        op::REQUEST_GUILD_MEMBERS => Command::RequestGuildMembers(object(d)?),
        op::REQUEST_SOUNDBOARD_SOUNDS | op::REQUEST_CHANNEL_INFO => Command::Ignored(op),
        _ => return Err(CloseCode::UnknownOpcode),
    })
}

fn object(d: serde_json::Value) -> Result<serde_json::Value, CloseCode> {
    if d.is_object() { Ok(d) } else { Err(CloseCode::UnknownOpcode) }
}

/// A non-dispatch server frame with all four envelope keys (protocol.md §0.12).
pub fn control_frame(op: u8, d: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(b"{\"op\":");
    push_u64(&mut out, u64::from(op));
    out.extend_from_slice(b",\"d\":");
    // Serializing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, d);
    out.extend_from_slice(b",\"s\":null,\"t\":null}");
    out
}

/// Writes a dispatch envelope around an already-serialized body: the body is shared by every
/// session that receives the event, only `s` differs.
pub fn write_dispatch(out: &mut Vec<u8>, seq: u64, name: &str, data: &[u8]) {
    out.reserve(data.len() + name.len() + 40);
    out.extend_from_slice(b"{\"op\":0,\"s\":");
    push_u64(out, seq);
    out.extend_from_slice(b",\"t\":\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\",\"d\":");
    out.extend_from_slice(data);
    out.push(b'}');
}

fn push_u64(out: &mut Vec<u8>, n: u64) {
    // Writing into a Vec cannot fail.
    let _ = std::io::Write::write_fmt(out, format_args!("{n}"));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn heartbeat_with_and_without_seq() {
        assert_eq!(parse_command(br#"{"op":1,"d":null}"#), Ok(Command::Heartbeat(None)));
        assert_eq!(parse_command(br#"{"op":1,"d":42,"s":null,"t":null}"#), Ok(Command::Heartbeat(Some(42))));
        assert_eq!(parse_command(br#"{"op":1}"#), Ok(Command::Heartbeat(None)));
    }

    #[test]
    fn decode_errors_and_unknown_ops() {
        assert_eq!(parse_command(b"not json"), Err(CloseCode::DecodeError));
        assert_eq!(parse_command(br#"{"d":1}"#), Err(CloseCode::DecodeError));
        assert_eq!(parse_command(br#"{"op":"1"}"#), Err(CloseCode::DecodeError));
        assert_eq!(parse_command(br#"{"op":5,"d":null}"#), Err(CloseCode::UnknownOpcode));
        assert_eq!(parse_command(br#"{"op":70000}"#), Err(CloseCode::UnknownOpcode));
        assert_eq!(parse_command(br#"{"op":2,"d":{"intents":1}}"#), Err(CloseCode::UnknownOpcode));
        assert_eq!(parse_command(br#"{"op":4,"d":7}"#), Err(CloseCode::UnknownOpcode));
        assert_eq!(parse_command(br#"{"op":31,"d":{"guild_ids":[]}}"#), Ok(Command::Ignored(31)));
    }

    #[test]
    fn identify_and_resume_parse() {
        let Command::Identify(identify) = parse_command(br#"{"op":2,"d":{"token":"Bot x","intents":513}}"#).unwrap()
        else {
            panic!("not identify")
        };
        assert_eq!(identify.token, "Bot x");
        let resume = parse_command(br#"{"op":6,"d":{"token":"x","session_id":"s","seq":3}}"#).unwrap();
        assert!(matches!(resume, Command::Resume(r) if r.seq == Some(3)));
    }

    #[test]
    fn frames_have_all_four_keys() {
        let hello: serde_json::Value =
            serde_json::from_slice(&control_frame(op::HELLO, &serde_json::json!({"heartbeat_interval": 41250})))
                .unwrap();
        assert_eq!(hello, serde_json::json!({"op": 10, "d": {"heartbeat_interval": 41250}, "s": null, "t": null}));
        let mut out = Vec::new();
        write_dispatch(&mut out, 18_446_744_073_709_551_615, "MESSAGE_CREATE", br#"{"id":"1"}"#);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["s"], serde_json::json!(u64::MAX));
        assert_eq!(v["t"], "MESSAGE_CREATE");
        assert_eq!(v["d"]["id"], "1");
        out.clear();
        write_dispatch(&mut out, 0, "X", b"null");
        assert_eq!(out, br#"{"op":0,"s":0,"t":"X","d":null}"#);
    }

    #[test]
    fn reconnectable_codes() {
        assert!(CloseCode::UnknownError.may_reconnect());
        assert!(CloseCode::RateLimited.may_reconnect());
        assert!(!CloseCode::AuthenticationFailed.may_reconnect());
        assert!(!CloseCode::DisallowedIntents.may_reconnect());
        assert_eq!(CloseCode::InvalidSeq.code(), 4007);
    }
}
