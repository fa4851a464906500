//! The JSON of the voice WebSocket (protocol.md §6.3): what clients send, parsed leniently the
//! way real libraries write it, and what the server sends, written compactly with `op` first.
//!
//! Client payloads: snowflakes may be strings or numbers (discord.py sends ints in places),
//! `speaking` may be an int or a bool, `seq_ack` may be missing, -1 or null, and unknown keys
//! (`max_dave_protocol_version`, `video`, `streams`, `delay`, …) are ignored. Server payloads are
//! fixed-order structs (never a `serde_json::Value` map, whose keys would come out sorted), so
//! the bytes are stable and as small as the clients allow: the handshake must stay under 1.2 KB.

use std::fmt;

use guildhall_model::id::Id;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::CloseCode;
use crate::crypto::Mode;

/// Voice opcodes, both directions (protocol.md §6.3).
pub(crate) mod op {
    pub(crate) const IDENTIFY: u8 = 0;
    pub(crate) const SELECT_PROTOCOL: u8 = 1;
    pub(crate) const READY: u8 = 2;
    pub(crate) const HEARTBEAT: u8 = 3;
    pub(crate) const SESSION_DESCRIPTION: u8 = 4;
    pub(crate) const SPEAKING: u8 = 5;
    pub(crate) const HEARTBEAT_ACK: u8 = 6;
    pub(crate) const RESUME: u8 = 7;
    pub(crate) const HELLO: u8 = 8;
    pub(crate) const RESUMED: u8 = 9;
    pub(crate) const CLIENTS_CONNECT: u8 = 11;
    /// Video (C→S: a client's camera/screen state; S→C: another member's, with the receive
    /// slots carrying it for a WebRTC client).
    pub(crate) const VIDEO: u8 = 12;
    pub(crate) const CLIENT_DISCONNECT: u8 = 13;
    /// DAVE transition ready (C→S JSON); DAVE is never offered, so it has nothing to act on.
    pub(crate) const DAVE_TRANSITION_READY: u8 = 23;
    /// DAVE invalid commit/welcome (C→S JSON); ignored for the same reason.
    pub(crate) const DAVE_INVALID_COMMIT_WELCOME: u8 = 31;
    /// DAVE binary client opcodes (key package, commit/welcome): a binary frame's first byte.
    pub(crate) const DAVE_BINARY: [u8; 2] = [26, 28];
}

/// Largest client frame read. Native clients send a few hundred bytes; a browser's
/// SELECT_PROTOCOL carries its SDP offer (Chromium writes about 3 KB per video m-line).
/// Anything bigger is refused before the JSON parser spends time on it.
pub(crate) const MAX_FRAME: usize = 128 * 1024;

/// op 0 IDENTIFY: who the client says it is. The driver checks it against the
/// VOICE_STATE_UPDATE / VOICE_SERVER_UPDATE it issued.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Identify {
    /// The guild (`server_id` is the guild id).
    pub server_id: Id<GuildMarker>,
    /// The joining user.
    pub user_id: Id<UserMarker>,
    /// The main gateway session id from VOICE_STATE_UPDATE.
    pub session_id: String,
    /// The token from VOICE_SERVER_UPDATE.
    pub token: String,
    /// The highest DAVE version the client speaks (0 when omitted). Never used to enable DAVE:
    /// SESSION_DESCRIPTION always says 0.
    #[serde(default, deserialize_with = "lenient_u16")]
    pub max_dave_protocol_version: u16,
}

/// op 7 RESUME: continue a voice session on a new WebSocket.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Resume {
    /// The guild.
    pub server_id: Id<GuildMarker>,
    /// The main gateway session id.
    pub session_id: String,
    /// The token from VOICE_SERVER_UPDATE.
    pub token: String,
    /// v8: the last `seq` the client saw (`None` when missing, null or -1: it saw none).
    #[serde(default, deserialize_with = "lenient_seq")]
    pub seq_ack: Option<u64>,
}

// Tokens are credentials: Debug (logs, test failures) must not print them.
impl fmt::Debug for Identify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identify")
            .field("server_id", &self.server_id)
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .field("token", &"<redacted>")
            .field("max_dave_protocol_version", &self.max_dave_protocol_version)
            .finish()
    }
}

impl fmt::Debug for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("server_id", &self.server_id)
            .field("session_id", &self.session_id)
            .field("token", &"<redacted>")
            .field("seq_ack", &self.seq_ack)
            .finish()
    }
}

/// A parsed client frame.
#[derive(Debug)]
pub(crate) enum ClientMessage {
    Identify(Identify),
    /// op 1 with `protocol: "udp"`; `mode` is `None` for a name this server does not know.
    SelectProtocol {
        mode: Option<Mode>,
        address: String,
        port: u16,
    },
    /// op 1 with `protocol: "webrtc"`: the browser's SDP offer.
    SelectWebRtc {
        sdp: String,
    },
    /// op 12: whether the client's camera and screen are on.
    Video {
        camera: bool,
        screen: bool,
    },
    /// op 3: the whole `d` (a bare nonce before v8, `{t, seq_ack}` from v8 on).
    Heartbeat(Value),
    Speaking {
        speaking: u32,
        ssrc: u32,
    },
    Resume(Resume),
    /// A known opcode that needs no answer (23, 31, an op 12 without streams) or a binary
    /// DAVE frame.
    Ignored,
}

/// Why a frame was not a usable message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Close with this code.
    Close(CloseCode),
    /// A binary DAVE frame: nothing to do, not even the pre-identify check.
    Dave,
}

#[derive(Deserialize)]
struct Envelope {
    op: u64,
    #[serde(default)]
    d: Value,
}

#[derive(Deserialize)]
struct SelectProtocol {
    protocol: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    sdp: Option<String>,
}

/// op 12 from a client: `streams` with their `type` ("video" camera, "screen") and `active`.
#[derive(Deserialize)]
struct Video {
    #[serde(default)]
    streams: Option<Vec<VideoStream>>,
}

#[derive(Deserialize)]
struct VideoStream {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    active: bool,
}

#[derive(Deserialize)]
struct SelectData {
    address: String,
    port: u16,
    mode: String,
}

#[derive(Deserialize)]
struct Speaking {
    #[serde(deserialize_with = "speaking_flags")]
    speaking: u32,
    ssrc: u32,
}

/// Reads one client frame (the bytes of a text frame, or of a binary one).
pub(crate) fn parse(frame: &[u8]) -> Result<ClientMessage, Refused> {
    if frame.first().is_some_and(|b| op::DAVE_BINARY.contains(b)) {
        // `[u8 opcode][payload]`: no JSON text starts with these control bytes.
        return Err(Refused::Dave);
    }
    if frame.len() > MAX_FRAME {
        return Err(Refused::Close(CloseCode::DecodeError));
    }
    let decode = |_| Refused::Close(CloseCode::DecodeError);
    let Envelope { op, d } = serde_json::from_slice(frame).map_err(decode)?;
    let Ok(op) = u8::try_from(op) else { return Err(Refused::Close(CloseCode::UnknownOpcode)) };
    Ok(match op {
        op::IDENTIFY => ClientMessage::Identify(serde_json::from_value(d).map_err(decode)?),
        op::SELECT_PROTOCOL => {
            let select: SelectProtocol = serde_json::from_value(d).map_err(decode)?;
            // The protocol decides the meaning of `data`, so it is checked first.
            if select.protocol == "webrtc" {
                // Discord's web client puts the SDP in `data` (and again in `sdp`).
                let sdp = match (select.data, select.sdp) {
                    (Value::String(sdp), _) | (_, Some(sdp)) => sdp,
                    (Value::Object(mut map), None) => match map.remove("sdp") {
                        Some(Value::String(sdp)) => sdp,
                        _ => return Err(Refused::Close(CloseCode::DecodeError)),
                    },
                    _ => return Err(Refused::Close(CloseCode::DecodeError)),
                };
                return Ok(ClientMessage::SelectWebRtc { sdp });
            }
            if select.protocol != "udp" {
                return Err(Refused::Close(CloseCode::UnknownProtocol));
            }
            let data: SelectData = serde_json::from_value(select.data).map_err(decode)?;
            ClientMessage::SelectProtocol { mode: Mode::from_name(&data.mode), address: data.address, port: data.port }
        }
        op::HEARTBEAT => ClientMessage::Heartbeat(d),
        op::SPEAKING => {
            let Speaking { speaking, ssrc } = serde_json::from_value(d).map_err(decode)?;
            ClientMessage::Speaking { speaking, ssrc }
        }
        op::RESUME => ClientMessage::Resume(serde_json::from_value(d).map_err(decode)?),
        op::VIDEO => match serde_json::from_value::<Video>(d) {
            Ok(Video { streams: Some(streams) }) => {
                let on = |kind: &str| streams.iter().any(|s| s.kind == kind && s.active);
                ClientMessage::Video { camera: on("video"), screen: on("screen") }
            }
            // Other shapes (older clients' `{audio_ssrc, video_ssrc}` only) change nothing.
            _ => ClientMessage::Ignored,
        },
        op::DAVE_TRANSITION_READY | op::DAVE_INVALID_COMMIT_WELCOME => ClientMessage::Ignored,
        _ => return Err(Refused::Close(CloseCode::UnknownOpcode)),
    })
}

/// A v8 `seq_ack` (heartbeat or RESUME): a non-negative integer, anything else means "none".
pub(crate) fn seq_ack(value: Option<&Value>) -> Option<u64> {
    value.and_then(Value::as_u64)
}

fn lenient_seq<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(seq_ack(Some(&Value::deserialize(deserializer)?)))
}

/// A number the server ignores anyway: a wrong type is not worth closing the connection for.
fn lenient_u16<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(value.as_u64().map_or(0, |v| u16::try_from(v).unwrap_or(u16::MAX)))
}

/// `speaking`: the v4+ bitmask, or the pre-v4 boolean some clients still send.
fn speaking_flags<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flags {
        Bits(u32),
        Bool(bool),
    }
    Ok(match Flags::deserialize(deserializer)? {
        Flags::Bits(bits) => bits,
        Flags::Bool(on) => u32::from(on),
    })
}

/// A snowflake as the server writes it: a decimal string.
#[derive(Clone, Copy)]
pub(crate) struct Snowflake(pub(crate) u64);

impl Serialize for Snowflake {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Serializes a server payload. Nothing here can fail (no maps with non-string keys, no
/// fallible `Serialize` impls); `null` keeps the frame well-formed if that ever changed.
pub(crate) fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A whole server frame: `op` first (songbird's parser requires it), then `d`, then `seq` on
/// the v8 messages that carry one.
pub(crate) fn frame(op: u8, d: &str, seq: Option<u64>) -> String {
    match seq {
        Some(seq) => format!(r#"{{"op":{op},"d":{d},"seq":{seq}}}"#),
        None => format!(r#"{{"op":{op},"d":{d}}}"#),
    }
}

#[derive(Serialize)]
pub(crate) struct Hello {
    pub(crate) heartbeat_interval: u64,
    pub(crate) v: u8,
}

#[derive(Serialize)]
pub(crate) struct Ready<'a> {
    pub(crate) ssrc: u32,
    pub(crate) ip: &'a str,
    pub(crate) port: u16,
    pub(crate) modes: Vec<&'static str>,
    /// Documented as bogus (clients take the interval from HELLO) but part of the payload.
    pub(crate) heartbeat_interval: u64,
}

#[derive(Serialize)]
pub(crate) struct SessionDescription<'a> {
    pub(crate) mode: &'static str,
    pub(crate) secret_key: &'a [u8; 32],
    /// Always 0: DAVE is not offered, and discord.py/songbird require the key.
    pub(crate) dave_protocol_version: u8,
}

/// SESSION_DESCRIPTION for a WebRTC client: the SDP answer instead of a key.
#[derive(Serialize)]
pub(crate) struct WebRtcDescription<'a> {
    pub(crate) sdp: &'a str,
    pub(crate) audio_codec: &'static str,
    pub(crate) video_codec: &'static str,
    pub(crate) media_session_id: String,
    pub(crate) dave_protocol_version: u8,
}

/// op 12 to a client: another member's streams, and (WebRTC) the receive slots carrying them.
#[derive(Serialize)]
pub(crate) struct VideoRelay<'a> {
    pub(crate) user_id: Snowflake,
    pub(crate) audio_ssrc: u32,
    pub(crate) video_ssrc: u32,
    pub(crate) streams: [StreamState; 2],
    pub(crate) mids: Mids<'a>,
}

#[derive(Serialize)]
pub(crate) struct StreamState {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) active: bool,
}

#[derive(Serialize)]
pub(crate) struct Mids<'a> {
    pub(crate) audio: Option<&'a str>,
    pub(crate) video: Option<&'a str>,
    pub(crate) screen: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct SpeakingRelay {
    pub(crate) user_id: Snowflake,
    pub(crate) ssrc: u32,
    pub(crate) speaking: u32,
}

#[derive(Serialize)]
pub(crate) struct ClientsConnect {
    pub(crate) user_ids: Vec<Snowflake>,
}

#[derive(Serialize)]
pub(crate) struct ClientDisconnect {
    pub(crate) user_id: Snowflake,
}

/// v8 heartbeat ACK body.
#[derive(Serialize)]
pub(crate) struct HeartbeatAck<'a> {
    pub(crate) t: &'a Value,
}
