//! One voice WebSocket connection, sans-IO (protocol.md §6.1–6.4; client-libraries.md §1.4,
//! §2.3, §4.4, §6.1). Frames and the current time go in; frames to send, a close, requests for
//! the driver (IDENTIFY, RESUME, SELECT_PROTOCOL, SPEAKING) and the next deadline come out.
//! No sockets, no clock: every rule here is tested with made-up instants.
//!
//! The connection owns the order rules, heartbeats and their deadline, the identify deadline, a
//! frame rate limit and the v8 message buffer ([`Outbox`]). The driver owns everything that
//! needs the rest of the server: it checks IDENTIFY/RESUME and answers with
//! [`Connection::ready`], [`Connection::resumed`] or [`Connection::reject`], answers
//! SELECT_PROTOCOL with [`Connection::session_description`], and relays the other members'
//! SPEAKING and joins/leaves.
//!
//! Flow: HELLO (on connect) → IDENTIFY → READY → SELECT_PROTOCOL → SESSION_DESCRIPTION → SPEAKING
//! both ways; or HELLO → RESUME → RESUMED (+ the v8 replay).

mod outbox;
mod payload;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use self::outbox::{CAPACITY as OUTBOX_CAPACITY, Outbox};
use self::payload::{ClientMessage, HeartbeatAck, Hello, Ready, Refused, SessionDescription, SpeakingRelay, op};
pub use self::payload::{Identify, Resume};
use crate::crypto::Mode;

/// How long after its heartbeat interval a heartbeat may be late before the session times out.
pub const HEARTBEAT_GRACE: Duration = Duration::from_secs(5);
/// How long after connecting a client may take to send IDENTIFY or RESUME.
pub const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(30);
/// Client frames allowed per [`RATE_WINDOW`]; more ⇒ 4021. A client heartbeats every 5 s at
/// most (discord.py) and sends SPEAKING when playback starts and stops, far below this.
pub const RATE_LIMIT: u32 = 120;
/// The window of [`RATE_LIMIT`].
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The voice gateway version from the URL's `?v=` (protocol.md §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// songbird 0.6. Speaking is a bitmask; heartbeats carry a bare nonce.
    V4,
    /// Adds video sink wants (not served).
    V5,
    /// Adds the code version opcode (not served).
    V6,
    /// Adds channel options (not served).
    V7,
    /// discord.js 0.19, discord.py 2.7: `seq` on server messages, `seq_ack`, buffered RESUME.
    V8,
}

impl Version {
    /// The version a client asked for; `None` when it gave none or one this server does not
    /// speak (below 4: Discord has refused them since 2024-11-18; above 8: not defined).
    pub fn from_query(v: Option<&str>) -> Option<Version> {
        Some(match v?.trim().parse::<u8>().ok()? {
            4 => Version::V4,
            5 => Version::V5,
            6 => Version::V6,
            7 => Version::V7,
            8 => Version::V8,
            _ => return None,
        })
    }

    /// The number (HELLO's `v`).
    pub fn number(self) -> u8 {
        match self {
            Version::V4 => 4,
            Version::V5 => 5,
            Version::V6 => 6,
            Version::V7 => 7,
            Version::V8 => 8,
        }
    }

    /// Whether server messages carry `seq` and are buffered for RESUME (v8 on).
    pub fn sequenced(self) -> bool {
        self >= Version::V8
    }
}

/// Voice close codes (protocol.md §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CloseCode {
    /// An opcode the server does not know.
    UnknownOpcode = 4001,
    /// Not JSON, or a payload of the wrong shape.
    DecodeError = 4002,
    /// Anything but IDENTIFY/RESUME/heartbeat before them, or none in time.
    NotAuthenticated = 4003,
    /// IDENTIFY's token/session did not match (the driver says so).
    AuthenticationFailed = 4004,
    /// A second IDENTIFY (or a RESUME after one).
    AlreadyAuthenticated = 4005,
    /// The session to resume is gone, or its missed messages are.
    SessionNoLongerValid = 4006,
    /// No heartbeat in time (songbird resumes after it).
    SessionTimeout = 4009,
    /// No voice server for that guild.
    ServerNotFound = 4011,
    /// SELECT_PROTOCOL with a protocol other than `udp`.
    UnknownProtocol = 4012,
    /// Kicked, moved out or the main session ended: do not reconnect.
    Disconnected = 4014,
    /// The voice server restarted: resume.
    VoiceServerCrashed = 4015,
    /// SELECT_PROTOCOL with a mode READY did not list.
    UnknownEncryptionMode = 4016,
    /// A request the server cannot serve.
    BadRequest = 4020,
    /// Too many frames: do not reconnect.
    RateLimited = 4021,
    /// The channel was deleted or the guild's voice server changed: do not reconnect.
    CallTerminated = 4022,
}

impl CloseCode {
    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The close frame's reason text.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::UnknownOpcode => "Unknown opcode",
            CloseCode::DecodeError => "Failed to decode payload",
            CloseCode::NotAuthenticated => "Not authenticated",
            CloseCode::AuthenticationFailed => "Authentication failed",
            CloseCode::AlreadyAuthenticated => "Already authenticated",
            CloseCode::SessionNoLongerValid => "Session no longer valid",
            CloseCode::SessionTimeout => "Session timeout",
            CloseCode::ServerNotFound => "Server not found",
            CloseCode::UnknownProtocol => "Unknown protocol",
            CloseCode::Disconnected => "Disconnected",
            CloseCode::VoiceServerCrashed => "Voice server crashed",
            CloseCode::UnknownEncryptionMode => "Unknown encryption mode",
            CloseCode::BadRequest => "Bad request",
            CloseCode::RateLimited => "Rate limited",
            CloseCode::CallTerminated => "Call terminated",
        }
    }
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Send this text frame.
    Send(String),
    /// Send a close frame with this code and stop; nothing more comes out.
    Close(CloseCode),
    /// Check the identity, then call [`Connection::ready`] or [`Connection::reject`].
    Identify(Identify),
    /// Find the session, then call [`Connection::resumed`] with its [`Outbox`] or
    /// [`Connection::reject`] (4006).
    Resume(Resume),
    /// The client chose `mode` (one READY listed) and its discovered `address:port`: make its
    /// key, then call [`Connection::session_description`].
    SelectProtocol {
        /// The transport encryption mode.
        mode: Mode,
        /// The client's address as it discovered it (informational; UDP discovery is the truth).
        address: String,
        /// Its port, likewise.
        port: u16,
    },
    /// A browser chose WebRTC (SELECT_PROTOCOL `protocol: "webrtc"`) with this SDP offer:
    /// answer it, then call [`Connection::webrtc_description`].
    SelectWebRtc {
        /// The offer, as the browser wrote it.
        sdp: String,
    },
    /// The client's camera / screen went on or off (op 12).
    Video {
        /// The camera is sending.
        camera: bool,
        /// The screen share is sending.
        screen: bool,
    },
    /// The client announced its speaking state (op 5): relay it to the others.
    Speaking {
        /// The bitmask (1 microphone, 2 soundshare, 4 priority; 0 = stopped).
        speaking: u32,
        /// The SSRC the client says it sends with.
        ssrc: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// HELLO sent; waiting for IDENTIFY or RESUME.
    Handshake,
    /// IDENTIFY handed to the driver.
    Identifying,
    /// RESUME handed to the driver.
    Resuming,
    /// READY or RESUMED sent.
    Established,
    /// Closed, or its outbox was taken: input is ignored, nothing more comes out.
    Closed,
}

/// The receive slots (mids) of a WebRTC client that carry one other member's media; `None`
/// where nothing of that kind reaches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoStreams<'a> {
    pub audio: Option<&'a str>,
    pub camera: Option<&'a str>,
    pub screen: Option<&'a str>,
}

/// One voice WebSocket connection.
#[derive(Debug)]
pub struct Connection {
    version: Version,
    heartbeat_interval: Duration,
    phase: Phase,
    /// `None` when the deadline is too far to represent (a huge configured interval).
    identify_due: Option<Instant>,
    heartbeat_due: Option<Instant>,
    window_start: Instant,
    window_count: u32,
    outbox: Outbox,
    out: VecDeque<Output>,
}

impl Connection {
    /// A new connection at `now`; HELLO is the first output.
    pub fn new(now: Instant, version: Version, heartbeat_interval: Duration) -> Self {
        let mut conn = Self {
            version,
            heartbeat_interval,
            phase: Phase::Handshake,
            identify_due: now.checked_add(IDENTIFY_TIMEOUT),
            heartbeat_due: None,
            window_start: now,
            window_count: 0,
            outbox: Outbox::new(version),
            out: VecDeque::new(),
        };
        conn.heartbeat_due = conn.next_heartbeat_due(now);
        let hello = Hello { heartbeat_interval: conn.interval_ms(), v: version.number() };
        conn.send_control(op::HELLO, &payload::json(&hello));
        conn
    }

    /// The version this connection speaks.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether READY or RESUMED was sent (and no close yet).
    pub fn is_established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// Whether the connection is finished (closed, or its outbox taken).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Closed => None,
            Phase::Handshake => match (self.heartbeat_due, self.identify_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            _ => self.heartbeat_due,
        }
    }

    /// Time passed: closes a connection whose heartbeat is overdue (4009) or that did not
    /// IDENTIFY/RESUME in time (4003).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if self.heartbeat_due.is_some_and(|due| now >= due) {
            self.close(CloseCode::SessionTimeout);
        } else if self.phase == Phase::Handshake && self.identify_due.is_some_and(|due| now >= due) {
            self.close(CloseCode::NotAuthenticated);
        }
    }

    /// One client frame: the bytes of a text frame (or of a binary one: DAVE binary frames are
    /// recognised by their opcode byte and ignored).
    pub fn handle_text(&mut self, now: Instant, frame: &[u8]) {
        if self.phase == Phase::Closed {
            return;
        }
        if now.checked_duration_since(self.window_start).is_some_and(|age| age >= RATE_WINDOW) {
            self.window_start = now;
            self.window_count = 0;
        }
        self.window_count = self.window_count.saturating_add(1);
        if self.window_count > RATE_LIMIT {
            return self.close(CloseCode::RateLimited);
        }
        match payload::parse(frame) {
            Ok(message) => self.handle_message(now, message),
            Err(Refused::Dave) => {}
            Err(Refused::Close(code)) => self.close(code),
        }
    }

    fn handle_message(&mut self, now: Instant, message: ClientMessage) {
        match message {
            ClientMessage::Heartbeat(d) => self.heartbeat(now, &d),
            ClientMessage::Identify(identify) => match self.phase {
                Phase::Handshake => {
                    self.phase = Phase::Identifying;
                    self.out.push_back(Output::Identify(identify));
                }
                _ => self.close(CloseCode::AlreadyAuthenticated),
            },
            ClientMessage::Resume(resume) => match self.phase {
                Phase::Handshake => {
                    self.phase = Phase::Resuming;
                    self.out.push_back(Output::Resume(resume));
                }
                _ => self.close(CloseCode::AlreadyAuthenticated),
            },
            // Everything else needs a session: none until the driver accepted IDENTIFY/RESUME.
            _ if self.phase != Phase::Established => self.close(CloseCode::NotAuthenticated),
            ClientMessage::SelectProtocol { mode, address, port } => {
                match mode.filter(|m| self.outbox.modes().contains(m)) {
                    Some(mode) => self.out.push_back(Output::SelectProtocol { mode, address, port }),
                    None => self.close(CloseCode::UnknownEncryptionMode),
                }
            }
            ClientMessage::SelectWebRtc { sdp } => self.out.push_back(Output::SelectWebRtc { sdp }),
            ClientMessage::Video { camera, screen } => self.out.push_back(Output::Video { camera, screen }),
            ClientMessage::Speaking { speaking, ssrc } => self.out.push_back(Output::Speaking { speaking, ssrc }),
            ClientMessage::Ignored => {}
        }
    }

    /// op 3 → op 6 echoing the nonce in this version's format; v8's `seq_ack` trims the outbox.
    fn heartbeat(&mut self, now: Instant, d: &Value) {
        self.heartbeat_due = self.next_heartbeat_due(now);
        let ack = if self.version.sequenced() {
            // `{t, seq_ack}`; a bare nonce (a client that mixed up versions) is answered too.
            let (nonce, seq_ack) = match d {
                Value::Object(map) => (map.get("t").unwrap_or(&Value::Null), payload::seq_ack(map.get("seq_ack"))),
                other => (other, None),
            };
            if let Some(seq) = seq_ack {
                self.outbox.ack(seq);
            }
            payload::json(&HeartbeatAck { t: nonce })
        } else {
            payload::json(d)
        };
        self.send_control(op::HEARTBEAT_ACK, &ack);
    }

    /// IDENTIFY was accepted: READY with the client's SSRC, the UDP address to use and the
    /// offered modes in preference order (discord.py and discord.js take the first they know).
    pub fn ready(&mut self, ssrc: u32, ip: &str, port: u16, modes: &[Mode]) {
        if self.phase != Phase::Identifying {
            return;
        }
        self.phase = Phase::Established;
        self.outbox.set_modes(modes);
        let ready = Ready {
            ssrc,
            ip,
            port,
            modes: modes.iter().map(|m| m.as_str()).collect(),
            heartbeat_interval: self.interval_ms(),
        };
        self.send_sequenced(op::READY, &payload::json(&ready));
    }

    /// IDENTIFY or RESUME was refused (4004, 4006, 4011…), or any other server-side close.
    pub fn reject(&mut self, code: CloseCode) {
        self.close(code);
    }

    /// SELECT_PROTOCOL was accepted: the mode and the client's secret key.
    pub fn session_description(&mut self, mode: Mode, key: &[u8; 32]) {
        let d = SessionDescription { mode: mode.as_str(), secret_key: key, dave_protocol_version: 0 };
        self.send_sequenced(op::SESSION_DESCRIPTION, &payload::json(&d));
    }

    /// A WebRTC SELECT_PROTOCOL was answered: SESSION_DESCRIPTION with the SDP answer (and no
    /// key: DTLS-SRTP keys the media).
    pub fn webrtc_description(&mut self, answer: &str, media_session_id: u64) {
        let d = payload::WebRtcDescription {
            sdp: answer,
            audio_codec: "opus",
            video_codec: "VP8",
            media_session_id: format!("{media_session_id:016x}"),
            dave_protocol_version: 0,
        };
        self.send_sequenced(op::SESSION_DESCRIPTION, &payload::json(&d));
    }

    /// op 12: another member's camera/screen state, and for a WebRTC client the mids of its
    /// receive slots that carry that member's audio, camera and screen.
    pub fn video(&mut self, user_id: u64, audio_ssrc: u32, streams: VideoStreams<'_>) {
        let d = payload::VideoRelay {
            user_id: payload::Snowflake(user_id),
            audio_ssrc,
            video_ssrc: 0,
            streams: [
                payload::StreamState { kind: "video", active: streams.camera.is_some() },
                payload::StreamState { kind: "screen", active: streams.screen.is_some() },
            ],
            mids: payload::Mids { audio: streams.audio, video: streams.camera, screen: streams.screen },
        };
        self.send_sequenced(op::VIDEO, &payload::json(&d));
    }

    /// Relays another member's op 5 to this client.
    pub fn speaking(&mut self, user_id: u64, ssrc: u32, speaking: u32) {
        let d = SpeakingRelay { user_id: payload::Snowflake(user_id), ssrc, speaking };
        self.send_sequenced(op::SPEAKING, &payload::json(&d));
    }

    /// op 11: these members are in the channel (sent on join for those already there, and for
    /// each new one).
    pub fn clients_connect(&mut self, user_ids: &[u64]) {
        self.send_sequenced(op::CLIENTS_CONNECT, &outbox::clients_connect(user_ids));
    }

    /// op 13: a member left the channel.
    pub fn client_disconnect(&mut self, user_id: u64) {
        self.send_sequenced(op::CLIENT_DISCONNECT, &outbox::client_disconnect(user_id));
    }

    /// Closes the connection (once); the v8 outbox stays available to [`Connection::take_outbox`].
    pub fn close(&mut self, code: CloseCode) {
        if self.phase != Phase::Closed {
            self.phase = Phase::Closed;
            self.out.push_back(Output::Close(code));
        }
    }

    /// The WebSocket is gone: its outbox, to keep for a RESUME. The connection is finished.
    pub fn take_outbox(&mut self) -> Outbox {
        self.phase = Phase::Closed;
        std::mem::replace(&mut self.outbox, Outbox::new(self.version))
    }

    /// RESUME was accepted for the session that kept `outbox`: RESUMED, then (v8) every kept
    /// message after `seq_ack` in order; or close 4006 when some of them were dropped, so the
    /// client connects from scratch instead of running with a hole.
    pub fn resumed(&mut self, mut outbox: Outbox, seq_ack: Option<u64>) {
        if self.phase != Phase::Resuming {
            return;
        }
        outbox.set_version(self.version);
        let replay = if self.version.sequenced() { outbox.replay(seq_ack) } else { Ok(Vec::new()) };
        self.outbox = outbox;
        let Ok(replay) = replay else { return self.close(CloseCode::SessionNoLongerValid) };
        self.phase = Phase::Established;
        self.send_control(op::RESUMED, "null");
        self.out.extend(replay.into_iter().map(Output::Send));
    }

    /// A message that is never sequenced (HELLO, heartbeat ACK, RESUMED).
    fn send_control(&mut self, op: u8, d: &str) {
        self.out.push_back(Output::Send(payload::frame(op, d, None)));
    }

    /// A message that gets `seq` on v8 and is kept for RESUME. Sent when a session is attached;
    /// only kept once the connection is closed (the driver takes the outbox); dropped while the
    /// driver has not accepted IDENTIFY/RESUME yet, since there is no session to relay to.
    fn send_sequenced(&mut self, op: u8, d: &str) {
        match self.phase {
            Phase::Established => {
                let frame = self.outbox.push(op, d);
                self.out.push_back(Output::Send(frame));
            }
            Phase::Closed => drop(self.outbox.push(op, d)),
            Phase::Handshake | Phase::Identifying | Phase::Resuming => {}
        }
    }

    fn next_heartbeat_due(&self, now: Instant) -> Option<Instant> {
        now.checked_add(self.heartbeat_interval)?.checked_add(HEARTBEAT_GRACE)
    }

    fn interval_ms(&self) -> u64 {
        u64::try_from(self.heartbeat_interval.as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests;
