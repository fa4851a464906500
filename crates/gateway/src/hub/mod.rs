//! The per-node hub: every live session of this node, indexed by id, user and guild, and the
//! fan-out task that routes each bus event to the sessions that may receive it
//! (architecture.md "gateway"). One bus subscription per node; one fan-out owner; each event is
//! serialized once and its bytes shared by every session that gets it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use guildhall_core::Core;
use guildhall_model::Id;
use guildhall_model::flags::Intents;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use rand::RngCore;
use tokio::sync::watch;

use crate::connection::{Close, ConnectionConfig};
use crate::outbox::ResumeError;

mod fanout;
mod session;
mod view;

pub use session::{Session, shard_owns};

/// Gateway settings.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Per-connection timing and limits.
    pub connection: ConnectionConfig,
    /// How long a session without a connection stays resumable (at least 2 minutes).
    pub resume_window: Duration,
    /// Dispatches kept per session for RESUME.
    pub replay_capacity: usize,
    /// Unsent dispatches a connected session may have before it is closed (resumably).
    pub max_backlog: u64,
    /// READY `resume_gateway_url` (no trailing slash, no query).
    pub resume_url: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            connection: ConnectionConfig::default(),
            resume_window: Duration::from_secs(180),
            replay_capacity: 4096,
            max_backlog: 2048,
            resume_url: "ws://127.0.0.1:8080/gateway".to_owned(),
        }
    }
}

/// Why a RESUME found nothing to continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeFailure {
    /// No such session (expired, ended, another user's): op 9 `false`.
    Unknown,
    /// The client's `seq` is ahead of the session: close 4007.
    InvalidSeq,
    /// Dispatches the client missed were dropped: op 9 `false`.
    Evicted,
}

#[derive(Debug, Default)]
struct Registry {
    sessions: HashMap<Arc<str>, Arc<Session>>,
    by_user: HashMap<Id<UserMarker>, Vec<Arc<Session>>>,
    /// Copy-on-write lists so the fan-out clones one pointer per event, not one per session.
    by_guild: HashMap<Id<GuildMarker>, Arc<Vec<Arc<Session>>>>,
}

/// The node's sessions and fan-out.
#[derive(Debug)]
pub struct Hub {
    core: Core,
    config: GatewayConfig,
    registry: Mutex<Registry>,
    shutdown: watch::Sender<bool>,
    connections: std::sync::atomic::AtomicUsize,
    /// When each account last asked for a guild's whole member list (op 8).
    member_lists: Mutex<HashMap<MemberListKey, Instant>>,
}

/// Whose request for which guild's member list.
type MemberListKey = (Id<UserMarker>, Id<GuildMarker>);

/// How often an account may ask for a guild's whole member list.
pub const MEMBER_LIST_INTERVAL: Duration = Duration::from_secs(30);

impl Hub {
    /// A hub over `core`; call [`Hub::start`] to begin fanning out events.
    pub fn new(core: Core, config: GatewayConfig) -> Arc<Self> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(Self {
            core,
            config,
            registry: Mutex::default(),
            shutdown,
            connections: Default::default(),
            member_lists: Mutex::default(),
        })
    }

    /// Subscribes to the bus and spawns the fan-out and the expiry sweeper. Events published
    /// after this returns reach the sessions.
    pub fn start(self: &Arc<Self>) {
        let subscription = self.core.bus().subscribe();
        tokio::spawn(fanout::run(self.clone(), subscription));
        let hub = Arc::downgrade(self);
        // Expiry is checked a few times per window (at least every 5 s).
        let every = (self.config.resume_window / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(hub) = hub.upgrade() else { return };
                hub.sweep(Instant::now()).await;
            }
        });
    }

    /// The domain service.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The settings.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Open WebSocket connections on this node.
    pub fn connection_count(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a connection for as long as the returned guard lives.
    pub(crate) fn connection_guard(self: &Arc<Self>) -> ConnectionGuard {
        self.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ConnectionGuard(self.clone())
    }

    /// Records a whole-member-list request of `user` for `guild`; `Some(wait)` if the previous
    /// one was less than [`MEMBER_LIST_INTERVAL`] ago (the request is then refused).
    pub(crate) fn member_list_cooldown(&self, user: Id<UserMarker>, guild: Id<GuildMarker>) -> Option<Duration> {
        let now = Instant::now();
        let mut lists = self.member_lists.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(last) = lists.get(&(user, guild)) {
            let elapsed = now.duration_since(*last);
            if elapsed < MEMBER_LIST_INTERVAL {
                return Some(MEMBER_LIST_INTERVAL - elapsed);
            }
        }
        // Forget old entries now and then so the map holds only the last 30 s.
        if lists.len() >= 1024 {
            lists.retain(|_, at| now.duration_since(*at) < MEMBER_LIST_INTERVAL);
        }
        lists.insert((user, guild), now);
        None
    }

    /// Live sessions on this node (connected or waiting for a RESUME).
    pub fn session_count(&self) -> usize {
        self.registry().sessions.len()
    }

    /// Starts a session for `user` (its guilds are added with `join_guild`), attached to
    /// `connection`. Events for it are held
    /// until [`Session::release`]-ing (the driver queues READY and GUILD_CREATEs first).
    pub(crate) fn create_session(
        &self,
        user_id: Id<UserMarker>,
        bot: bool,
        intents: Intents,
        shard: Option<[u32; 2]>,
        connection: u64,
    ) -> Arc<Session> {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id: Arc<str> = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into();
        let session = Arc::new(Session::new(id.clone(), user_id, bot, intents, shard, self.config.replay_capacity));
        session.lock().connection = Some(connection);
        let mut registry = self.registry();
        registry.sessions.insert(id, session.clone());
        registry.by_user.entry(user_id).or_default().push(session.clone());
        session
    }

    /// Attaches `connection` to the session a RESUME names and rewinds it to `seq`; a
    /// connection still attached is told to close.
    pub(crate) fn resume(
        &self,
        session_id: &str,
        user_id: Id<UserMarker>,
        seq: u64,
        connection: u64,
    ) -> Result<Arc<Session>, ResumeFailure> {
        let session = self.registry().sessions.get(session_id).cloned().ok_or(ResumeFailure::Unknown)?;
        if session.user_id != user_id {
            return Err(ResumeFailure::Unknown);
        }
        let mut inner = session.lock();
        if inner.ended || inner.held.is_some() {
            return Err(ResumeFailure::Unknown);
        }
        match inner.outbox.resume_from(seq) {
            Ok(()) => {}
            Err(ResumeError::InvalidSeq) => return Err(ResumeFailure::InvalidSeq),
            Err(ResumeError::Evicted) => {
                drop(inner);
                self.end(&session);
                return Err(ResumeFailure::Evicted);
            }
        }
        // The replay is written before anything else; it does not count against the backlog.
        inner.startup_end = inner.outbox.last_seq();
        if let Some(old) = inner.connection.replace(connection) {
            inner.kick = Some((old, Close::REPLACED));
        }
        inner.detached_at = None;
        drop(inner);
        session.notify.notify_waiters();
        Ok(session)
    }

    /// The connection `connection` is gone. A resumable end keeps the session for the resume
    /// window; otherwise (client closed with 1000/1001, fatal close) the session ends.
    pub(crate) fn detach(&self, session: &Arc<Session>, connection: u64, resumable: bool) {
        let mut inner = session.lock();
        if inner.connection != Some(connection) {
            // Another connection resumed it meanwhile.
            return;
        }
        inner.connection = None;
        inner.kick = None;
        inner.detached_at = Some(Instant::now());
        let lost = inner.outbox.lost_unsent();
        drop(inner);
        if !resumable || lost {
            self.end(session);
        }
    }

    /// Ends a session: it leaves every index, and its presence and voice state go.
    pub(crate) fn end(&self, session: &Arc<Session>) {
        self.end_if(session, |_| true);
    }

    /// Ends `session` if `still` holds under its lock (so a RESUME that attached meanwhile wins
    /// over an expiry decided a moment earlier). An attached connection is told to close.
    fn end_if(&self, session: &Arc<Session>, still: impl FnOnce(&session::Inner) -> bool) {
        {
            let mut inner = session.lock();
            if inner.ended || !still(&inner) {
                return;
            }
            inner.ended = true;
            inner.held = None;
            if let Some(connection) = inner.connection {
                inner.kick = Some((connection, Close::ENDED));
            }
        }
        session.notify.notify_one();
        let mut registry = self.registry();
        registry.sessions.remove(&session.id);
        if let Some(list) = registry.by_user.get_mut(&session.user_id) {
            list.retain(|s| !Arc::ptr_eq(s, session));
            if list.is_empty() {
                registry.by_user.remove(&session.user_id);
            }
        }
        let guilds: Vec<_> = session.lock().guilds.drain().collect();
        for guild in guilds {
            unsubscribe(&mut registry, guild, session);
        }
        drop(registry);
        let core = self.core.clone();
        let (user, id) = (session.user_id, session.id.clone());
        tokio::spawn(async move { crate::start::session_ended(&core, user, &id).await });
    }

    /// Ends the sessions that waited longer than the resume window.
    async fn sweep(&self, now: Instant) {
        let expired: Vec<_> = self
            .registry()
            .sessions
            .values()
            .filter(|s| s.lock().detached_at.is_some_and(|at| now.duration_since(at) >= self.config.resume_window))
            .cloned()
            .collect();
        let window = self.config.resume_window;
        for session in expired {
            self.end_if(&session, |inner| {
                inner.connection.is_none() && inner.detached_at.is_some_and(|at| now.duration_since(at) >= window)
            });
        }
    }

    /// Closes every connection of `user` with `close` (operator action and the test hook);
    /// returns how many were told to.
    pub fn disconnect_user(&self, user: Id<UserMarker>, close: Close) -> usize {
        let sessions = self.registry().by_user.get(&user).cloned().unwrap_or_default();
        let mut count = 0;
        for session in sessions {
            if session.lock().connection.is_some() {
                session.kick(close);
                count += 1;
            }
        }
        count
    }

    /// Sends op 7 RECONNECT on every connection and closes them (graceful shutdown).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// The sessions subscribed to `guild`.
    fn guild_sessions(&self, guild: Id<GuildMarker>) -> Option<Arc<Vec<Arc<Session>>>> {
        self.registry().by_guild.get(&guild).cloned()
    }

    fn user_sessions(&self, user: Id<UserMarker>) -> Vec<Arc<Session>> {
        self.registry().by_user.get(&user).cloned().unwrap_or_default()
    }

    /// Adds `session` to `guild`'s fan-out (it joined the guild).
    pub(crate) fn join_guild(&self, guild: Id<GuildMarker>, session: &Arc<Session>) {
        let mut registry = self.registry();
        if !session.lock().ended {
            subscribe(&mut registry, guild, session);
        }
    }

    /// Removes `session` from `guild`'s fan-out (it left or lost the guild).
    pub(crate) fn leave_guild(&self, guild: Id<GuildMarker>, session: &Arc<Session>) {
        let mut registry = self.registry();
        unsubscribe(&mut registry, guild, session);
    }
}

/// Keeps [`Hub::connection_count`] honest even when a connection task is cancelled.
#[derive(Debug)]
pub(crate) struct ConnectionGuard(Arc<Hub>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn subscribe(registry: &mut Registry, guild: Id<GuildMarker>, session: &Arc<Session>) {
    if session.lock().guilds.insert(guild) {
        Arc::make_mut(registry.by_guild.entry(guild).or_default()).push(session.clone());
    }
}

fn unsubscribe(registry: &mut Registry, guild: Id<GuildMarker>, session: &Arc<Session>) {
    session.lock().guilds.remove(&guild);
    if let Some(list) = registry.by_guild.get_mut(&guild) {
        Arc::make_mut(list).retain(|s| !Arc::ptr_eq(s, session));
        if list.is_empty() {
            registry.by_guild.remove(&guild);
        }
    }
}
