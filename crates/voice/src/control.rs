//! The signalling side of the voice server: who may connect (grants from core), who is
//! connected (members, by guild and user), and the messages one member's actions send to the
//! others of its room. All of it sits behind one mutex held only for map updates; the UDP thread
//! is reached through [`SfuHandle`] commands.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use guildhall_core::VoiceGrant;
use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::sfu::SfuEvent;
use guildhall_voice_proto::signal::{CloseCode, Identify, Outbox, Resume};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

use crate::VoiceConfig;
use crate::udp::{Command, SfuHandle};

/// A member: (guild id, user id).
pub(crate) type Key = (u64, u64);

/// What another member's actions ask of a connection.
#[derive(Debug)]
pub(crate) enum ToConn {
    Speaking {
        user_id: u64,
        ssrc: u32,
        speaking: u32,
    },
    ClientsConnect(Vec<u64>),
    ClientDisconnect(u64),
    Close(CloseCode),
    /// A RESUME on another connection took this session over: stop, and hand the
    /// unacknowledged messages over through [`Control::detach`].
    HandOver,
    /// Another member's streams and the receive slots (mids) carrying them (op 12; WebRTC
    /// clients only).
    Video {
        user_id: u64,
        ssrc: u32,
        audio: Option<String>,
        camera: Option<String>,
        screen: Option<String>,
    },
}

impl ToConn {
    /// Keeps a room message for a member whose connection is gone, for its RESUME.
    fn keep(self, outbox: &mut Outbox) {
        match self {
            Self::Speaking { user_id, ssrc, speaking } => outbox.speaking(user_id, ssrc, speaking),
            Self::ClientsConnect(users) => outbox.clients_connect(&users),
            Self::ClientDisconnect(user) => outbox.client_disconnect(user),
            // Browsers identify again rather than resume (a new peer connection anyway).
            Self::Close(_) | Self::HandOver | Self::Video { .. } => {}
        }
    }
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
    /// While detached: the messages the client has not acknowledged, plus what the room said
    /// since, for the RESUME.
    outbox: Option<Outbox>,
    /// The connection whose drop started the current wait for a RESUME.
    detached_from: u64,
    /// A RESUME took the session over from a connection that was still open: where that
    /// connection's messages go once it has stopped.
    handover: Option<(u64, oneshot::Sender<Outbox>)>,
    /// The last op 5 bitmask, once the member announced its SSRC.
    speaking: Option<u32>,
}

/// One guild's grants and members.
#[derive(Debug, Default)]
struct Guild {
    grants: HashMap<u64, Grant>,
    members: HashMap<u64, Member>,
}

impl Guild {
    /// Sends `message()` to every member of `room` except `except`; detached members keep it.
    fn broadcast(&mut self, room: u64, except: u64, message: impl Fn() -> ToConn) {
        for (user, member) in &mut self.members {
            if *user == except || member.room != room {
                continue;
            }
            match (&member.conn, &mut member.outbox) {
                (Some(conn), _) => {
                    let _ = conn.tx.send(message());
                }
                (None, Some(outbox)) => message().keep(outbox),
                (None, None) => {}
            }
        }
    }
}

#[derive(Debug, Default)]
struct State {
    guilds: HashMap<u64, Guild>,
    /// Every SSRC in use on this server.
    ssrcs: HashSet<u32>,
    closed: bool,
}

/// A random SSRC nobody on this server has: unguessable, so nobody outside the room can aim IP
/// discovery at a participant that has not done its own yet.
fn new_ssrc(ssrcs: &mut HashSet<u32>) -> u32 {
    loop {
        let ssrc = rand::random::<u32>();
        if ssrc != 0 && ssrcs.insert(ssrc) {
            return ssrc;
        }
    }
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

/// How a RESUME was taken.
#[derive(Debug)]
pub(crate) enum Resumed {
    /// The session was waiting: here are its messages.
    Ready(Outbox),
    /// The previous connection is still open; its messages arrive once it has stopped.
    Pending(oneshot::Receiver<Outbox>),
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
        self.lock().ssrcs.len() as u64
    }

    /// A voice state changed in core: enforce it now.
    pub(crate) fn apply(&self, grant: VoiceGrant) {
        let (guild_id, user) = (grant.guild_id.get(), grant.user_id.get());
        let mut state = self.lock();
        let state = &mut *state;
        let guild = state.guilds.entry(guild_id).or_default();
        let Some(channel) = grant.channel_id else {
            guild.grants.remove(&user);
            let code = if grant.terminated { CloseCode::CallTerminated } else { CloseCode::Disconnected };
            if let Some(member) = guild.members.remove(&user) {
                self.end_member(&mut state.ssrcs, guild, user, member, code);
            }
            if guild.grants.is_empty() && guild.members.is_empty() {
                state.guilds.remove(&guild_id);
            }
            return;
        };
        let room = channel.get();
        let token = match (grant.token, guild.grants.get(&user)) {
            (Some(token), _) => token,
            (None, Some(previous)) => previous.token.clone(),
            // A flag change for a grant this server never saw (it was assigned the guild
            // after the join): nobody can identify with it until the next join.
            (None, None) => String::new(),
        };
        guild.grants.insert(
            user,
            Grant { room, session_id: grant.session_id.clone(), token, muted: grant.muted, deafened: grant.deafened },
        );
        let Some(member) = guild.members.get_mut(&user) else { return };
        if member.session_id != grant.session_id {
            // The user joined from another gateway session: this voice session is over.
            if let Some(member) = guild.members.remove(&user) {
                self.end_member(&mut state.ssrcs, guild, user, member, CloseCode::Disconnected);
            }
            return;
        }
        let ssrc = member.ssrc;
        let old_room = member.room;
        member.room = room;
        self.sfu.send(Command::Flags { ssrc, muted: grant.muted, deafened: grant.deafened });
        if old_room != room {
            self.sfu.send(Command::Room { ssrc, room });
            guild.broadcast(old_room, user, || ToConn::ClientDisconnect(user));
            guild.broadcast(room, user, || ToConn::ClientsConnect(vec![user]));
        }
    }

    /// Voice IDENTIFY: checked against the grant core issued (server_id = guild, user, gateway
    /// session and token). A member that identifies again (after a move or a failed resume)
    /// replaces its previous voice session.
    pub(crate) fn identify(&self, identify: &Identify, conn: Conn) -> Result<(Key, Joined), CloseCode> {
        let key = (identify.server_id.get(), identify.user_id.get());
        let mut state = self.lock();
        let state = &mut *state;
        if state.closed {
            return Err(CloseCode::VoiceServerCrashed);
        }
        let Some(guild) = state.guilds.get_mut(&key.0) else { return Err(CloseCode::ServerNotFound) };
        let Some(grant) = guild.grants.get(&key.1) else { return Err(CloseCode::AuthenticationFailed) };
        let token_ok = !grant.token.is_empty() && bool::from(grant.token.as_bytes().ct_eq(identify.token.as_bytes()));
        if !token_ok || grant.session_id != identify.session_id {
            return Err(CloseCode::AuthenticationFailed);
        }
        let (room, muted, deafened, session_id, token) =
            (grant.room, grant.muted, grant.deafened, grant.session_id.clone(), grant.token.clone());
        if let Some(old) = guild.members.remove(&key.1) {
            self.sfu.send(Command::Remove { ssrc: old.ssrc });
            state.ssrcs.remove(&old.ssrc);
            if let Some(conn) = &old.conn {
                let _ = conn.tx.send(ToConn::Close(CloseCode::SessionNoLongerValid));
            }
        }
        let ssrc = new_ssrc(&mut state.ssrcs);
        self.sfu.send(Command::Add { ssrc, room, user_id: key.1 });
        self.sfu.send(Command::Flags { ssrc, muted, deafened });
        let mut others = Vec::new();
        let mut speakers = Vec::new();
        for (user, other) in &guild.members {
            if other.room == room {
                others.push(*user);
                if let Some(speaking) = other.speaking {
                    speakers.push((*user, other.ssrc, speaking));
                }
            }
        }
        guild.broadcast(room, key.1, || ToConn::ClientsConnect(vec![key.1]));
        guild.members.insert(
            key.1,
            Member {
                ssrc,
                room,
                session_id,
                token,
                conn: Some(conn),
                outbox: None,
                detached_from: 0,
                handover: None,
                speaking: None,
            },
        );
        Ok((key, Joined { ssrc, others, speakers }))
    }

    /// Voice RESUME: the session with that guild, gateway session and token takes the new
    /// connection. If its previous connection still looks open (its end not noticed yet, as
    /// after a network drop), that one is told to stop and hand over its messages.
    pub(crate) fn resume(&self, resume: &Resume, conn: Conn) -> Result<(Key, Resumed), CloseCode> {
        let mut state = self.lock();
        if state.closed {
            return Err(CloseCode::VoiceServerCrashed);
        }
        let guild_id = resume.server_id.get();
        let Some(guild) = state.guilds.get_mut(&guild_id) else { return Err(CloseCode::SessionNoLongerValid) };
        let found = guild.members.iter_mut().find(|(_, m)| {
            m.session_id == resume.session_id && bool::from(m.token.as_bytes().ct_eq(resume.token.as_bytes()))
        });
        let Some((user, member)) = found else { return Err(CloseCode::SessionNoLongerValid) };
        let key = (guild_id, *user);
        let resumed = match member.conn.take() {
            None => Resumed::Ready(member.outbox.take().ok_or(CloseCode::SessionNoLongerValid)?),
            Some(previous) => {
                let (tx, rx) = oneshot::channel();
                member.handover = Some((previous.id, tx));
                let _ = previous.tx.send(ToConn::HandOver);
                Resumed::Pending(rx)
            }
        };
        member.conn = Some(conn);
        Ok((key, resumed))
    }

    /// The member's current connection, or `None` when `conn_id` is not it (a connection that
    /// was replaced must not act for the session any more).
    fn member_of(state: &mut State, key: Key, conn_id: u64) -> Option<&mut Member> {
        let member = state.guilds.get_mut(&key.0)?.members.get_mut(&key.1)?;
        member.conn.as_ref().is_some_and(|c| c.id == conn_id).then_some(member)
    }

    /// SELECT_PROTOCOL accepted: a fresh key for the member, installed in the SFU before the
    /// client can learn it.
    pub(crate) fn select_protocol(&self, key: Key, conn_id: u64, mode: Mode) -> Option<[u8; 32]> {
        let mut state = self.lock();
        let member = Self::member_of(&mut state, key, conn_id)?;
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        self.sfu.send(Command::Cipher { ssrc: member.ssrc, cipher: Cipher::new(mode, &secret) });
        Some(secret)
    }

    /// A browser's SELECT_PROTOCOL (WebRTC): its offer goes to the SFU, which answers once it
    /// has set up the peer connection.
    pub(crate) fn select_webrtc(
        &self,
        key: Key,
        conn_id: u64,
        sdp: String,
    ) -> Option<oneshot::Receiver<Result<String, guildhall_voice_proto::Error>>> {
        let mut state = self.lock();
        let member = Self::member_of(&mut state, key, conn_id)?;
        let (reply, answer) = oneshot::channel();
        self.sfu.send(Command::Offer { ssrc: member.ssrc, sdp, reply });
        Some(answer)
    }

    /// Client op 12: its camera / screen state, for the SFU's slots.
    pub(crate) fn video(&self, key: Key, conn_id: u64, camera: bool, screen: bool) {
        let mut state = self.lock();
        let Some(member) = Self::member_of(&mut state, key, conn_id) else { return };
        self.sfu.send(Command::Video { ssrc: member.ssrc, camera, screen });
    }

    /// What the SFU has to tell a client: routed to the member with that SSRC.
    pub(crate) fn sfu_event(&self, event: SfuEvent) {
        let SfuEvent::Slots { to, ssrc, user_id, audio, camera, screen } = event;
        let state = self.lock();
        let conn =
            state.guilds.values().flat_map(|g| g.members.values()).find(|m| m.ssrc == to).and_then(|m| m.conn.as_ref());
        if let Some(conn) = conn {
            let _ = conn.tx.send(ToConn::Video { user_id, ssrc, audio, camera, screen });
        }
    }

    /// Client op 5: relayed to the room as `{user_id, ssrc, speaking}` (receivers map SSRCs to
    /// users only from this). The SSRC must be the member's own.
    pub(crate) fn speaking(&self, key: Key, conn_id: u64, ssrc: u32, speaking: u32) {
        let mut state = self.lock();
        let Some(member) = Self::member_of(&mut state, key, conn_id) else { return };
        if member.ssrc != ssrc {
            tracing::debug!(ssrc, expected = member.ssrc, "op 5 with a foreign SSRC ignored");
            return;
        }
        member.speaking = Some(speaking);
        let room = member.room;
        if let Some(guild) = state.guilds.get_mut(&key.0) {
            guild.broadcast(room, key.1, || ToConn::Speaking { user_id: key.1, ssrc, speaking });
        }
    }

    /// The connection `conn_id` of `key` stopped with these unacknowledged messages. Its
    /// session waits for a RESUME (returns true: the caller schedules [`Control::expire`]), or
    /// the messages go to the RESUME that took the session over.
    pub(crate) fn detach(&self, key: Key, conn_id: u64, outbox: Outbox) -> bool {
        let mut state = self.lock();
        let Some(member) = state.guilds.get_mut(&key.0).and_then(|g| g.members.get_mut(&key.1)) else {
            return false;
        };
        if member.handover.as_ref().is_some_and(|(from, _)| *from == conn_id) {
            if let Some((_, tx)) = member.handover.take() {
                let _ = tx.send(outbox);
            }
            return false;
        }
        if member.conn.as_ref().is_none_or(|c| c.id != conn_id) {
            return false;
        }
        member.conn = None;
        member.outbox = Some(outbox);
        member.detached_from = conn_id;
        true
    }

    /// The resume window after the drop of `conn_id` ended: a session still waiting is removed.
    pub(crate) fn expire(&self, key: Key, conn_id: u64) {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(guild) = state.guilds.get_mut(&key.0) else { return };
        let waiting = guild.members.get(&key.1).is_some_and(|m| m.conn.is_none() && m.detached_from == conn_id);
        if waiting && let Some(member) = guild.members.remove(&key.1) {
            self.end_member(&mut state.ssrcs, guild, key.1, member, CloseCode::Disconnected);
        }
    }

    /// Closes every connection (4015, resumable) and stops the UDP thread.
    pub(crate) fn shutdown(&self) {
        let mut state = self.lock();
        state.closed = true;
        for guild in state.guilds.values() {
            for conn in guild.members.values().filter_map(|m| m.conn.as_ref()) {
                let _ = conn.tx.send(ToConn::Close(CloseCode::VoiceServerCrashed));
            }
        }
        state.guilds.clear();
        state.ssrcs.clear();
        self.sfu.stop();
    }

    /// A removed member: out of the SFU, its connection closed with `code`, the room told.
    fn end_member(&self, ssrcs: &mut HashSet<u32>, guild: &mut Guild, user: u64, member: Member, code: CloseCode) {
        self.sfu.send(Command::Remove { ssrc: member.ssrc });
        ssrcs.remove(&member.ssrc);
        if let Some(conn) = &member.conn {
            let _ = conn.tx.send(ToConn::Close(code));
        }
        guild.broadcast(member.room, user, || ToConn::ClientDisconnect(user));
    }
}
