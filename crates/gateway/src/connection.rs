//! The sans-IO state machine of one gateway connection (style.md: str0m/quinn shape): frames and
//! the current time go in; frames to send, a close, commands for the driver to carry out and
//! the next deadline come out. No sockets, no clock reads, no tasks: every rule here is tested
//! with made-up instants.
//!
//! What it owns: HELLO, heartbeat ACKs and the heartbeat deadline, the 4096-byte frame limit,
//! the 120-per-60-s command limit, the identify deadline and the order rules (nothing but
//! heartbeats before IDENTIFY/RESUME, a single IDENTIFY). What it hands to the driver: IDENTIFY,
//! RESUME and the other commands, which need the store and the hub; the driver reports back with
//! [`Connection::established`], [`Connection::invalid_session`] or [`Connection::close`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use guildhall_model::gateway::{Hello, Identify, Resume};

use crate::protocol::{self, CloseCode, Command, op};

/// Timing and limits of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// HELLO's `heartbeat_interval` (Discord sends 41250 ms).
    pub heartbeat_interval: Duration,
    /// How late a heartbeat may be before the connection counts as dead.
    pub heartbeat_grace: Duration,
    /// How long after HELLO a client may take to IDENTIFY or RESUME.
    pub identify_timeout: Duration,
    /// Largest client frame (4096 bytes on Discord; larger → 4002).
    pub max_frame: usize,
    /// Commands per [`ConnectionConfig::rate_window`] (120 per 60 s on Discord; more → 4008).
    pub rate_limit: u32,
    /// The window of [`ConnectionConfig::rate_limit`].
    pub rate_window: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_millis(41_250),
            heartbeat_grace: Duration::from_secs(15),
            identify_timeout: Duration::from_secs(60),
            max_frame: 4096,
            rate_limit: 120,
            rate_window: Duration::from_secs(60),
        }
    }
}

/// Why the connection is being closed (the close frame's code and reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    /// The close code.
    pub code: u16,
    /// Its reason text.
    pub reason: &'static str,
    /// Whether the session stays resumable after this close.
    pub resumable: bool,
}

impl Close {
    /// The close for a protocol error (resumable when the code lets the client reconnect).
    pub const fn from_code(code: CloseCode) -> Self {
        Self { code: code.code(), reason: code.reason(), resumable: code.may_reconnect() }
    }

    /// No heartbeat in time: 4000, and the session waits for a RESUME (issue 4 §2).
    pub const HEARTBEAT_TIMEOUT: Self = Self { code: 4000, reason: "Heartbeat timed out.", resumable: true };
    /// The session's outbound queue overflowed: the client must resume and catch up.
    pub const TOO_SLOW: Self = Self { code: 4000, reason: "Client too slow; resume.", resumable: true };
    /// An operator closed the connection (e.g. the test hook): resumable.
    pub const FORCED: Self = Self { code: 4000, reason: "Disconnected by the server; resume.", resumable: true };
    /// More events arrived while the session was starting than it can keep: some were dropped,
    /// so the session ends and the client must identify again.
    pub const OVERFLOWED_AT_START: Self =
        Self { code: 4000, reason: "Too many events while starting; identify again.", resumable: false };
    /// The session ended under the connection (the node lost events for it, or it expired as
    /// a RESUME arrived): the client reconnects, its RESUME gets op 9, and it identifies anew.
    pub const ENDED: Self = Self { code: 4000, reason: "Session ended; identify again.", resumable: false };
    /// A newer connection resumed this session.
    pub const REPLACED: Self = Self { code: 4000, reason: "Session resumed elsewhere.", resumable: true };
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Send this (uncompressed) frame.
    Send(Vec<u8>),
    /// Send a close frame and stop reading.
    Close(Close),
    /// Authenticate and start a session, then call [`Connection::established`] (or close).
    Identify(Box<Identify>),
    /// Find the session and replay, then call [`Connection::established`] or
    /// [`Connection::invalid_session`].
    Resume(Resume),
    /// op 3 for the established session.
    PresenceUpdate(serde_json::Value),
    /// op 4 for the established session.
    VoiceStateUpdate(serde_json::Value),
    /// op 8 for the established session.
    RequestGuildMembers(serde_json::Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// HELLO sent; waiting for IDENTIFY or RESUME.
    Handshake,
    /// IDENTIFY or RESUME handed to the driver, no answer yet.
    Starting,
    /// A session is attached.
    Established,
    /// A close was emitted; input is ignored.
    Closed,
}

/// One gateway connection.
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    phase: Phase,
    opened: Instant,
    heartbeat_due: Instant,
    window_start: Instant,
    window_count: u32,
    out: VecDeque<Output>,
    /// The sequence number of the last heartbeat, until the driver takes it.
    acknowledged: Option<u64>,
}

impl Connection {
    /// A new connection at `now`; HELLO is the first output.
    pub fn new(config: ConnectionConfig, now: Instant) -> Self {
        let interval = u64::try_from(config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX);
        let hello = serde_json::json!(Hello { heartbeat_interval: interval });
        let mut out = VecDeque::new();
        out.push_back(Output::Send(protocol::control_frame(op::HELLO, &hello)));
        Self {
            config,
            phase: Phase::Handshake,
            opened: now,
            heartbeat_due: now + config.heartbeat_interval + config.heartbeat_grace,
            window_start: now,
            window_count: 0,
            out,
            acknowledged: None,
        }
    }

    /// Whether a close has been emitted.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether a session is attached.
    pub fn is_established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Closed => None,
            Phase::Handshake | Phase::Starting => {
                Some(self.heartbeat_due.min(self.opened + self.config.identify_timeout))
            }
            Phase::Established => Some(self.heartbeat_due),
        }
    }

    /// Time passed: closes a connection whose heartbeat is overdue or that never identified.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if now >= self.heartbeat_due {
            self.close(Close::HEARTBEAT_TIMEOUT);
        } else if self.phase == Phase::Handshake && now >= self.opened + self.config.identify_timeout {
            self.close(Close::from_code(CloseCode::SessionTimedOut));
        }
    }

    /// One text or binary frame from the client.
    pub fn handle_frame(&mut self, frame: &[u8], now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if frame.len() > self.config.max_frame {
            return self.close(Close::from_code(CloseCode::DecodeError));
        }
        if now >= self.window_start + self.config.rate_window {
            self.window_start = now;
            self.window_count = 0;
        }
        self.window_count += 1;
        if self.window_count > self.config.rate_limit {
            return self.close(Close::from_code(CloseCode::RateLimited));
        }
        let command = match protocol::parse_command(frame) {
            Ok(command) => command,
            Err(code) => return self.close(Close::from_code(code)),
        };
        self.handle_command(command, now);
    }

    fn handle_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Heartbeat(seq) => {
                if self.phase == Phase::Established {
                    self.acknowledged = seq.or(self.acknowledged);
                }
                self.heartbeat_due = now + self.config.heartbeat_interval + self.config.heartbeat_grace;
                self.out.push_back(Output::Send(protocol::control_frame(op::HEARTBEAT_ACK, &serde_json::Value::Null)));
            }
            Command::Identify(identify) => match self.phase {
                Phase::Handshake => {
                    self.phase = Phase::Starting;
                    self.out.push_back(Output::Identify(identify));
                }
                _ => self.close(Close::from_code(CloseCode::AlreadyAuthenticated)),
            },
            Command::Resume(resume) => match self.phase {
                Phase::Handshake => {
                    self.phase = Phase::Starting;
                    self.out.push_back(Output::Resume(resume));
                }
                _ => self.close(Close::from_code(CloseCode::AlreadyAuthenticated)),
            },
            _ if self.phase == Phase::Handshake => self.close(Close::from_code(CloseCode::NotAuthenticated)),
            Command::PresenceUpdate(d) => self.out.push_back(Output::PresenceUpdate(d)),
            Command::VoiceStateUpdate(d) => self.out.push_back(Output::VoiceStateUpdate(d)),
            Command::RequestGuildMembers(d) => self.out.push_back(Output::RequestGuildMembers(d)),
            Command::Ignored(_) => {}
        }
    }

    /// The sequence number the client's last heartbeat acknowledged (once).
    pub fn take_acknowledged(&mut self) -> Option<u64> {
        self.acknowledged.take()
    }

    /// The driver attached a session (IDENTIFY or RESUME succeeded).
    pub fn established(&mut self) {
        if self.phase == Phase::Starting {
            self.phase = Phase::Established;
        }
    }

    /// IDENTIFY could not start a session or RESUME found none: op 9 with `resumable`, and the
    /// client may try again on this connection.
    pub fn invalid_session(&mut self, resumable: bool) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Handshake;
        self.out.push_back(Output::Send(protocol::control_frame(op::INVALID_SESSION, &serde_json::json!(resumable))));
    }

    /// op 7: the server is going away; the client should reconnect and resume.
    pub fn reconnect(&mut self) {
        if self.phase != Phase::Closed {
            self.out.push_back(Output::Send(protocol::control_frame(op::RECONNECT, &serde_json::Value::Null)));
        }
    }

    /// Closes the connection (once).
    pub fn close(&mut self, close: Close) {
        if self.phase != Phase::Closed {
            self.phase = Phase::Closed;
            self.out.push_back(Output::Close(close));
        }
    }
}

#[cfg(test)]
mod tests;
