//! The signalling side of the voice server: who may connect (grants from core), who is
//! connected (members, by guild and user), and the messages one member's actions send to the
//! others of its room. All of it sits behind one mutex held only for map updates; the UDP thread
//! is reached through [`SfuHandle`] commands.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use guildhall_core::VoiceGrant;
use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::signal::{CloseCode, Identify, Outbox, Resume};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

use crate::VoiceConfig;
use crate::udp::{Command, SfuHandle};

/// A member: (guild id, user id).
pub(crate) type Key = (u64, u64);

/// What another member's actions ask of a connection.
#[derive(Debug)]
pub(crate) enum ToConn {
    Speaking { user_id: u64, ssrc: u32, speaking: u32 },
    ClientsConnect(Vec<u64>),
    ClientDisconnect(u64),
    Close(CloseCode),
}

/// A live voice WebSocket: its id and its inbox.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::UnboundedSender<ToConn>,
}

/// What core allows one member.
#[derive(Debug)]
struct Grant {
    room: u64,
    session_id: String,
    token: String,
    muted: bool,
    deafened: bool,
}

/// A member with a voice session (from IDENTIFY until it leaves or its resume window ends).
#[derive(Debug)]
struct Member {
    ssrc: u32,
    room: u64,
    session_id: String,
    token: String,
    /// The attached WebSocket; `None` while the session waits for a RESUME.
    conn: Option<Conn>,
    /// The detached connection's unacknowledged messages, for the RESUME.
    outbox: Option<Outbox>,
    /// The connection whose drop started the current wait for a RESUME.
    detached_from: u64,
    /// The last op 5 bitmask, once the member announced its SSRC.
    speaking: Option<u32>,
}

#[derive(Debug, Default)]
struct State {
    grants: HashMap<Key, Grant>,
    members: HashMap<Key, Member>,
    next_ssrc: u32,
    closed: bool,
}

/// What a new connection learns after IDENTIFY.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) ssrc: u32,
    /// Other members of the room: their user ids (op 11) and, for those that announced an
    /// SSRC, their speaking state (op 5), so a receiver can map SSRCs it hears to users.
    pub(crate) others: Vec<u64>,
    pub(crate) speakers: Vec<(u64, u32, u32)>,
}

/// The voice server's shared signalling state.
#[derive(Debug)]
pub(crate) struct Control {
    config: VoiceConfig,
    media: SocketAddr,
    sfu: SfuHandle,
    state: Mutex<State>,
    next_conn: AtomicU64,
}

impl Control {
    pub(crate) fn new(config: VoiceConfig, media: SocketAddr, sfu: SfuHandle) -> Self {
        Self { config, media, sfu, state: Mutex::default(), next_conn: AtomicU64::new(1) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Each operation leaves the maps consistent between statements that can panic (none
        // do), so a poisoned lock holds usable state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &VoiceConfig {
        &self.config
    }

    pub(crate) fn media_addr(&self) -> SocketAddr {
        self.media
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn load(&self) -> u64 {
        self.lock().members.len() as u64
    }

    /// A voice state changed in core: enforce it now.
    pub(crate) fn apply(&self, grant: VoiceGrant) {
        let key = (grant.guild_id.get(), grant.user_id.get());
        let mut state = self.lock();
        let Some(channel) = grant.channel_id else {
            state.grants.remove(&key);
            if let Some(member) = state.members.remove(&key) {
                self.end_member(&mut state, key, member, CloseCode::Disconnected);
            }
            return;
        };
        let room = channel.get();
        let token = match (grant.token, state.grants.get(&key)) {
            (Some(token), _) => token,
            (None, Some(previous)) => previous.token.clone(),
            // A flag change for a grant this server never saw (it was assigned the guild
            // after the join): nobody can identify with it until the next join.
            (None, None) => String::new(),
        };
        state.grants.insert(
            key,
            Grant { room, session_id: grant.session_id.clone(), token, muted: grant.muted, deafened: grant.deafened },
        );
        let Some(member) = state.members.get_mut(&key) else { return };
        if member.session_id != grant.session_id {
            // The user joined from another gateway session: this voice session is over.
            if let Some(member) = state.members.remove(&key) {
                self.end_member(&mut state, key, member, CloseCode::Disconnected);
            }
            return;
        }
        let ssrc = member.ssrc;
        let old_room = member.room;
        member.room = room;
        self.sfu.send(Command::Flags { ssrc, muted: grant.muted, deafened: grant.deafened });
        if old_room != room {
            self.sfu.send(Command::Room { ssrc, room });
            broadcast(&mut state, old_room, key, || ToConn::ClientDisconnect(key.1));
            broadcast(&mut state, room, key, || ToConn::ClientsConnect(vec![key.1]));
        }
    }

    /// Voice IDENTIFY: checked against the grant core issued (server_id = guild, user, gateway
    /// session and token). A member that identifies again (after a move or a failed resume)
    /// replaces its previous voice session.
    pub(crate) fn identify(&self, identify: &Identify, conn: Conn) -> Result<(Key, Joined), CloseCode> {
        let key = (identify.server_id.get(), identify.user_id.get());
        let mut state = self.lock();
        if state.closed {
            return Err(CloseCode::VoiceServerCrashed);
        }
        let Some(grant) = state.grants.get(&key) else {
            let known_guild = state.grants.keys().any(|(guild, _)| *guild == key.0);
            return Err(if known_guild { CloseCode::AuthenticationFailed } else { CloseCode::ServerNotFound });
        };
        let token_ok = !grant.token.is_empty() && bool::from(grant.token.as_bytes().ct_eq(identify.token.as_bytes()));
        if !token_ok || grant.session_id != identify.session_id {
            return Err(CloseCode::AuthenticationFailed);
        }
        let (room, muted, deafened, session_id, token) =
            (grant.room, grant.muted, grant.deafened, grant.session_id.clone(), grant.token.clone());
        if let Some(old) = state.members.remove(&key) {
            self.sfu.send(Command::Remove { ssrc: old.ssrc });
            if let Some(conn) = &old.conn {
                let _ = conn.tx.send(ToConn::Close(CloseCode::SessionNoLongerValid));
            }
        }
        state.next_ssrc = state.next_ssrc.wrapping_add(1).max(1);
        let ssrc = state.next_ssrc;
        self.sfu.send(Command::Add { ssrc, room, user_id: key.1 });
        self.sfu.send(Command::Flags { ssrc, muted, deafened });
        let mut others = Vec::new();
        let mut speakers = Vec::new();
        for ((guild, user), other) in &state.members {
            if *guild == key.0 && other.room == room {
                others.push(*user);
                if let Some(speaking) = other.speaking {
                    speakers.push((*user, other.ssrc, speaking));
                }
            }
        }
        broadcast(&mut state, room, key, || ToConn::ClientsConnect(vec![key.1]));
        state.members.insert(
            key,
            Member { ssrc, room, session_id, token, conn: Some(conn), outbox: None, detached_from: 0, speaking: None },
        );
        Ok((key, Joined { ssrc, others, speakers }))
    }

    /// Voice RESUME: the detached session with that guild, gateway session and token takes the
    /// new connection; returns its kept messages.
    pub(crate) fn resume(&self, resume: &Resume, conn: Conn) -> Result<(Key, Outbox), CloseCode> {
        let mut state = self.lock();
        if state.closed {
            return Err(CloseCode::VoiceServerCrashed);
        }
        let found = state.members.iter_mut().find(|((guild, _), m)| {
            *guild == resume.server_id.get()
                && m.session_id == resume.session_id
                && bool::from(m.token.as_bytes().ct_eq(resume.token.as_bytes()))
        });
        let Some((key, member)) = found else { return Err(CloseCode::SessionNoLongerValid) };
        // Still attached means the old socket has not been seen closing: a full reconnect
        // (IDENTIFY, same token) is the safe answer.
        let Some(outbox) = member.outbox.take().filter(|_| member.conn.is_none()) else {
            return Err(CloseCode::SessionNoLongerValid);
        };
        member.conn = Some(conn);
        Ok((*key, outbox))
    }

    /// SELECT_PROTOCOL accepted: a fresh key for the member, installed in the SFU before the
    /// client can learn it.
    pub(crate) fn select_protocol(&self, key: Key, mode: Mode) -> Option<[u8; 32]> {
        let state = self.lock();
        let member = state.members.get(&key)?;
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        self.sfu.send(Command::Cipher { ssrc: member.ssrc, cipher: Cipher::new(mode, &secret) });
        Some(secret)
    }

    /// Client op 5: relayed to the room as `{user_id, ssrc, speaking}` (receivers map SSRCs to
    /// users only from this). The SSRC must be the member's own.
    pub(crate) fn speaking(&self, key: Key, ssrc: u32, speaking: u32) {
        let mut state = self.lock();
        let Some(member) = state.members.get_mut(&key) else { return };
        if member.ssrc != ssrc {
            tracing::debug!(ssrc, expected = member.ssrc, "op 5 with a foreign SSRC ignored");
            return;
        }
        member.speaking = Some(speaking);
        let room = member.room;
        broadcast(&mut state, room, key, || ToConn::Speaking { user_id: key.1, ssrc, speaking });
    }

    /// The connection `conn_id` of `key` is gone: its session waits for a RESUME with the
    /// connection's unacknowledged messages, which `take_outbox` gives (it runs under the lock,
    /// after every message relayed to the connection so far and before any relayed to the
    /// outbox, so nothing is lost or reordered in between). Returns true when the caller should
    /// schedule [`Control::expire`].
    pub(crate) fn detach(&self, key: Key, conn_id: u64, take_outbox: impl FnOnce() -> Outbox) -> bool {
        let mut state = self.lock();
        let Some(member) = state.members.get_mut(&key) else { return false };
        if member.conn.as_ref().is_none_or(|c| c.id != conn_id) {
            return false;
        }
        member.conn = None;
        member.outbox = Some(take_outbox());
        member.detached_from = conn_id;
        true
    }

    /// The resume window after the drop of `conn_id` ended: a session still waiting is removed.
    pub(crate) fn expire(&self, key: Key, conn_id: u64) {
        let mut state = self.lock();
        let waiting = state.members.get(&key).is_some_and(|m| m.conn.is_none() && m.detached_from == conn_id);
        if waiting && let Some(member) = state.members.remove(&key) {
            self.end_member(&mut state, key, member, CloseCode::Disconnected);
        }
    }

    /// Closes every connection (4015, resumable) and stops the UDP thread.
    pub(crate) fn shutdown(&self) {
        let mut state = self.lock();
        state.closed = true;
        for member in state.members.values() {
            if let Some(conn) = &member.conn {
                let _ = conn.tx.send(ToConn::Close(CloseCode::VoiceServerCrashed));
            }
        }
        state.members.clear();
        self.sfu.stop();
    }

    /// A removed member: out of the SFU, its connection closed with `code`, the room told.
    fn end_member(&self, state: &mut State, key: Key, member: Member, code: CloseCode) {
        self.sfu.send(Command::Remove { ssrc: member.ssrc });
        if let Some(conn) = &member.conn {
            let _ = conn.tx.send(ToConn::Close(code));
        }
        broadcast(state, member.room, key, || ToConn::ClientDisconnect(key.1));
    }
}

/// Sends `message()` to every member of `room` in `key`'s guild except `key`; a member whose
/// WebSocket dropped has it kept in its outbox for the RESUME (v8 replays it).
fn broadcast(state: &mut State, room: u64, key: Key, message: impl Fn() -> ToConn) {
    for (other_key, other) in &mut state.members {
        if *other_key == key || other_key.0 != key.0 || other.room != room {
            continue;
        }
        match (&other.conn, &mut other.outbox) {
            (Some(conn), _) => {
                let _ = conn.tx.send(message());
            }
            (None, Some(outbox)) => match message() {
                ToConn::Speaking { user_id, ssrc, speaking } => outbox.speaking(user_id, ssrc, speaking),
                ToConn::ClientsConnect(users) => outbox.clients_connect(&users),
                ToConn::ClientDisconnect(user) => outbox.client_disconnect(user),
                // Closes are never broadcast.
                ToConn::Close(_) => {}
            },
            (None, None) => {}
        }
    }
}
