//! The v8 message buffer of one voice session (protocol.md §6.2–6.3): every server message
//! except HELLO, heartbeat ACK and RESUMED gets `"seq": n` (n from 1, +1 each) and is kept until
//! a heartbeat's `seq_ack` (or a RESUME's) covers it, so a RESUME can re-send what the client
//! missed. Bounded: past [`CAPACITY`] the oldest message is dropped, and a RESUME that would
//! need it is refused (close 4006, the client connects from scratch).
//!
//! The outbox outlives its WebSocket: the driver takes it from a closed [`super::Connection`]
//! ([`super::Connection::take_outbox`]), may keep buffering into it while no WebSocket is
//! attached ([`Outbox::speaking`] …), and hands it to the connection that resumes
//! ([`super::Connection::resumed`]). Below v8 nothing is sequenced or kept.

use std::collections::VecDeque;
use std::fmt;

use super::Version;
use super::payload::{self, ClientDisconnect, ClientsConnect, Snowflake, SpeakingRelay, op};
use crate::crypto::Mode;

/// How many unacknowledged messages a v8 session keeps. Clients acknowledge with every
/// heartbeat (every few seconds), so this only runs out in a very busy channel, and then the
/// cost is a full reconnect, not a wrong state.
pub const CAPACITY: usize = 64;

/// A RESUME asked for messages that are no longer kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Evicted;

/// The sequenced, unacknowledged server messages of one voice session (v8), plus what the
/// session offered in READY.
pub struct Outbox {
    version: Version,
    /// The `seq` of the last message sequenced (0: none yet).
    last: u64,
    /// Every message with `seq` ≤ this has left the buffer (acknowledged or evicted).
    dropped: u64,
    /// Sent-or-buffered frames, oldest first, exactly as written (with their `seq`).
    kept: VecDeque<(u64, String)>,
    /// The modes READY listed: SELECT_PROTOCOL is checked against them, after a RESUME too.
    modes: Vec<Mode>,
}

// The buffer holds SESSION_DESCRIPTION, i.e. the secret key: Debug shows only the counters.
impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("version", &self.version)
            .field("last", &self.last)
            .field("dropped", &self.dropped)
            .field("kept", &self.kept.len())
            .field("modes", &self.modes)
            .finish()
    }
}

impl Outbox {
    /// An empty outbox for a session on `version`.
    pub fn new(version: Version) -> Self {
        Self { version, last: 0, dropped: 0, kept: VecDeque::new(), modes: Vec::new() }
    }

    /// The gateway version whose format the buffered messages use.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `seq` of the last message sequenced (0 before the first, and always below v8).
    pub fn last_seq(&self) -> u64 {
        self.last
    }

    /// How many messages are kept for a RESUME.
    pub fn pending(&self) -> usize {
        self.kept.len()
    }

    /// Buffers a relayed SPEAKING while no WebSocket is attached (see the module doc).
    pub fn speaking(&mut self, user_id: u64, ssrc: u32, speaking: u32) {
        self.push(op::SPEAKING, &payload::json(&SpeakingRelay { user_id: Snowflake(user_id), ssrc, speaking }));
    }

    /// Buffers an op 11 CLIENTS_CONNECT while no WebSocket is attached.
    pub fn clients_connect(&mut self, user_ids: &[u64]) {
        self.push(op::CLIENTS_CONNECT, &clients_connect(user_ids));
    }

    /// Buffers an op 13 CLIENT_DISCONNECT while no WebSocket is attached.
    pub fn client_disconnect(&mut self, user_id: u64) {
        self.push(op::CLIENT_DISCONNECT, &client_disconnect(user_id));
    }

    pub(crate) fn modes(&self) -> &[Mode] {
        &self.modes
    }

    pub(crate) fn set_modes(&mut self, modes: &[Mode]) {
        self.modes = modes.to_vec();
    }

    /// Adopts the version of the connection that resumed. Buffered frames are written in the
    /// old version's format, so they are only kept when both sequence (both are v8).
    pub(crate) fn set_version(&mut self, version: Version) {
        if version != self.version {
            self.version = version;
            self.dropped = self.last;
            self.kept.clear();
        }
    }

    /// Sequences (v8) and keeps a message; returns the frame to send.
    pub(crate) fn push(&mut self, op: u8, d: &str) -> String {
        if !self.version.sequenced() {
            return payload::frame(op, d, None);
        }
        self.last += 1;
        let frame = payload::frame(op, d, Some(self.last));
        if self.kept.len() == CAPACITY
            && let Some((seq, _)) = self.kept.pop_front()
        {
            self.dropped = seq;
        }
        self.kept.push_back((self.last, frame.clone()));
        frame
    }

    /// The client has every message up to `seq`: they need not be kept.
    pub(crate) fn ack(&mut self, seq: u64) {
        while let Some(&(front, _)) = self.kept.front() {
            if front > seq {
                break;
            }
            self.kept.pop_front();
            self.dropped = front;
        }
    }

    /// The frames a client that last saw `seq_ack` (`None`: nothing) has missed, in order; they
    /// stay kept until acknowledged. `Err` when some of them were dropped already.
    pub(crate) fn replay(&mut self, seq_ack: Option<u64>) -> Result<Vec<String>, Evicted> {
        let seen = seq_ack.unwrap_or(0);
        if seen < self.dropped {
            return Err(Evicted);
        }
        self.ack(seen);
        Ok(self.kept.iter().map(|(_, frame)| frame.clone()).collect())
    }
}

pub(crate) fn clients_connect(user_ids: &[u64]) -> String {
    payload::json(&ClientsConnect { user_ids: user_ids.iter().copied().map(Snowflake).collect() })
}

pub(crate) fn client_disconnect(user_id: u64) -> String {
    payload::json(&ClientDisconnect { user_id: Snowflake(user_id) })
}
