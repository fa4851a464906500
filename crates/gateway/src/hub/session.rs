//! A gateway session: the resumable identity a connection attaches to. It outlives its
//! connection for the resume window, and the fan-out keeps sequencing dispatches into its
//! [`Outbox`] while no connection is attached.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use guildhall_model::Id;
use guildhall_model::flags::Intents;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use tokio::sync::Notify;

use crate::connection::Close;
use crate::outbox::{Frame, Outbox};

/// Whether a session with IDENTIFY `shard` receives `guild_id`'s events (protocol.md §1.7:
/// `shard_id = (guild_id >> 22) % num_shards`).
pub fn shard_owns(shard: Option<[u32; 2]>, guild_id: Id<GuildMarker>) -> bool {
    match shard {
        Some([id, count]) if count > 1 => (guild_id.get() >> 22) % u64::from(count) == u64::from(id),
        _ => true,
    }
}

/// One session (what READY's `session_id` names).
#[derive(Debug)]
pub struct Session {
    /// READY `session_id`.
    pub id: Arc<str>,
    /// Whose session it is.
    pub user_id: Id<UserMarker>,
    /// Whether the user is a bot (MESSAGE_CONTENT only restricts bots).
    pub bot: bool,
    /// The intents the session asked for.
    pub intents: Intents,
    /// IDENTIFY `shard`, if sent.
    pub shard: Option<[u32; 2]>,
    pub(crate) inner: Mutex<Inner>,
    /// Woken whenever there is something for the attached connection to do.
    pub(crate) notify: Notify,
    /// Set while the fan-out owes this session a wake-up for frames it queued with
    /// [`Session::enqueue`] (one wake-up per batch of events, not one per event).
    wake_owed: AtomicBool,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) outbox: Outbox,
    /// While the session is being started (READY and GUILD_CREATEs not yet queued), events wait
    /// here so that READY is always dispatch 1.
    pub(crate) held: Option<Vec<Arc<Frame>>>,
    /// The guilds whose events this session receives.
    pub(crate) guilds: HashSet<Id<GuildMarker>>,
    /// The attached connection, by its driver-assigned number.
    pub(crate) connection: Option<u64>,
    /// When the last connection went away.
    pub(crate) detached_at: Option<Instant>,
    /// Set when the attached connection must close (too slow, replaced, forced).
    pub(crate) kick: Option<(u64, Close)>,
    /// The session is over: nothing is queued any more and it cannot be resumed.
    pub(crate) ended: bool,
    /// The last dispatch queued before the connection could write any (READY, GUILD_CREATEs
    /// and held events; or a RESUME's replay): only later ones count against the backlog.
    pub(crate) startup_end: u64,
}

/// What [`Session::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    Dropped,
}

impl Session {
    pub(crate) fn new(
        id: Arc<str>,
        user_id: Id<UserMarker>,
        bot: bool,
        intents: Intents,
        shard: Option<[u32; 2]>,
        capacity: usize,
    ) -> Self {
        Self {
            id,
            user_id,
            bot,
            intents,
            shard,
            inner: Mutex::new(Inner {
                outbox: Outbox::new(capacity),
                held: Some(Vec::new()),
                guilds: HashSet::new(),
                connection: None,
                detached_at: None,
                kick: None,
                ended: false,
                startup_end: 0,
            }),
            notify: Notify::new(),
            wake_owed: AtomicBool::new(false),
        }
    }

    /// The session's state; a panic elsewhere while it was held leaves data that is still
    /// consistent (every update is a single assignment or push), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether guild events of `guild_id` belong to this session's shard (protocol.md §1.7).
    pub fn owns_guild(&self, guild_id: Id<GuildMarker>) -> bool {
        shard_owns(self.shard, guild_id)
    }

    /// Whether this session receives events that belong to no guild (DMs): shard 0 only.
    pub fn owns_direct(&self) -> bool {
        self.shard.is_none_or(|[id, _]| id == 0)
    }

    /// Queues a dispatch. With a connection attached and more than `max_backlog` dispatches
    /// unsent (not counting those queued at startup), or so many unsent that the next one would
    /// drop one, the connection is told to close (resumably) rather than letting memory grow.
    pub(crate) fn push(&self, frame: Arc<Frame>, max_backlog: u64) -> Pushed {
        let pushed = self.enqueue(frame, max_backlog);
        if pushed == Pushed::Queued {
            self.notify.notify_one();
        }
        pushed
    }

    /// [`Session::push`] without waking the connection: the caller wakes it (with
    /// [`Session::owe_wake`] / [`Session::wake`]) once it has queued everything it has.
    pub(crate) fn enqueue(&self, frame: Arc<Frame>, max_backlog: u64) -> Pushed {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if inner.ended {
            return Pushed::Dropped;
        }
        if let Some(held) = &mut inner.held {
            // Bounded like the outbox: past it, events are dropped and the session is closed
            // for good once started (a RESUME could not replay what was dropped).
            if held.len() >= inner.outbox.capacity() {
                held.clear();
                if let Some(connection) = inner.connection {
                    inner.kick = Some((connection, Close::OVERFLOWED_AT_START));
                }
                return Pushed::Dropped;
            }
            if inner.kick.is_some_and(|(_, close)| close == Close::OVERFLOWED_AT_START) {
                return Pushed::Dropped;
            }
            held.push(frame);
            return Pushed::Queued;
        }
        inner.outbox.push(frame);
        if let Some(connection) = inner.connection
            && (inner.outbox.backlog_after(inner.startup_end) > max_backlog || inner.outbox.full_of_unsent())
            && inner.kick.is_none()
        {
            inner.kick = Some((connection, Close::TOO_SLOW));
        }
        Pushed::Queued
    }

    /// Records that a wake-up is owed; true the first time (the caller then keeps the session
    /// to [`Session::wake`] it later).
    pub(crate) fn owe_wake(&self) -> bool {
        !self.wake_owed.swap(true, Ordering::AcqRel)
    }

    /// Pays the wake-up owed since [`Session::owe_wake`].
    pub(crate) fn wake(&self) {
        self.wake_owed.store(false, Ordering::Release);
        self.notify.notify_one();
    }

    /// Queues the dispatches that waited while the session was starting.
    pub(crate) fn release(&self) {
        let mut inner = self.lock();
        if let Some(held) = inner.held.take() {
            for frame in held {
                inner.outbox.push(frame);
            }
        }
        inner.startup_end = inner.outbox.last_seq();
        drop(inner);
        self.notify.notify_one();
    }

    /// Queues a dispatch made for this session alone (READY, GUILD_CREATE, chunks, RESUMED),
    /// ahead of anything held.
    pub(crate) fn push_own(&self, frame: Arc<Frame>) {
        let mut inner = self.lock();
        if !inner.ended {
            inner.outbox.push(frame);
        }
        drop(inner);
        self.notify.notify_one();
    }

    /// Asks the connection `connection` (if still attached) to close with `close`.
    pub(crate) fn kick(&self, close: Close) {
        let mut inner = self.lock();
        if let Some(connection) = inner.connection {
            inner.kick = Some((connection, close));
        }
        drop(inner);
        self.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(shard: Option<[u32; 2]>) -> Session {
        Session::new("s".into(), Id::new_checked(1).unwrap(), true, Intents::GUILDS, shard, 4)
    }

    #[test]
    fn shard_routing_follows_the_guild_id_formula() {
        let guild = |n: u64| Id::new_checked(n << 22).unwrap();
        let s = session(Some([1, 3]));
        assert!(s.owns_guild(guild(4)));
        assert!(!s.owns_guild(guild(3)));
        assert!(!s.owns_direct());
        assert!(session(Some([0, 1])).owns_guild(guild(3)));
        assert!(session(None).owns_direct());
    }

    #[test]
    fn held_frames_follow_own_frames_and_backlog_kicks() {
        let s = session(None);
        s.push(Frame::new("A", vec![]), 10);
        s.push_own(Frame::new("READY", vec![]));
        s.release();
        s.lock().connection = Some(7);
        let names: Vec<_> = s.lock().outbox.take_unsent(10).iter().map(|(_, f)| f.name).collect();
        assert_eq!(names, ["READY", "A"]);
        for _ in 0..3 {
            s.push(Frame::new("B", vec![]), 2);
        }
        assert_eq!(s.lock().kick, Some((7, Close::TOO_SLOW)));
        s.lock().ended = true;
        assert_eq!(s.push(Frame::new("C", vec![]), 2), Pushed::Dropped);
    }

    #[test]
    fn startup_frames_do_not_count_against_the_backlog() {
        // READY and a GUILD_CREATE per guild are queued before the connection can write any:
        // a bot in more guilds than the backlog limit must not be kicked by the next event.
        let s = Session::new("s".into(), Id::new_checked(1).unwrap(), true, Intents::GUILDS, None, 16);
        s.lock().connection = Some(7);
        s.push(Frame::new("HELD", vec![]), 4);
        s.push_own(Frame::new("READY", vec![]));
        for _ in 0..8 {
            s.push_own(Frame::new("GUILD_CREATE", vec![]));
        }
        s.release();
        for _ in 0..4 {
            s.push(Frame::new("MESSAGE_CREATE", vec![]), 4);
        }
        assert_eq!(s.lock().kick, None, "kicked for frames it never had a chance to read");
        s.push(Frame::new("MESSAGE_CREATE", vec![]), 4);
        assert_eq!(s.lock().kick, Some((7, Close::TOO_SLOW)), "events beyond the limit still kick");

        // However many frames startup queued, unsent ones are never dropped while connected.
        let s = Session::new("s".into(), Id::new_checked(1).unwrap(), true, Intents::GUILDS, None, 16);
        s.lock().connection = Some(7);
        for _ in 0..12 {
            s.push_own(Frame::new("GUILD_CREATE", vec![]));
        }
        s.release();
        for _ in 0..3 {
            s.push(Frame::new("MESSAGE_CREATE", vec![]), 8);
        }
        assert_eq!(s.lock().kick, None);
        s.push(Frame::new("MESSAGE_CREATE", vec![]), 8);
        assert_eq!(s.lock().kick, Some((7, Close::TOO_SLOW)), "the next push would drop an unsent frame");
        assert!(!s.lock().outbox.lost_unsent());
    }

    #[test]
    fn events_held_during_a_slow_start_are_bounded() {
        let s = Session::new("s".into(), Id::new_checked(1).unwrap(), true, Intents::GUILDS, None, 4);
        s.lock().connection = Some(7);
        for _ in 0..100 {
            s.push(Frame::new("MESSAGE_CREATE", vec![]), 2);
        }
        let inner = s.lock();
        assert!(inner.held.as_ref().unwrap().len() <= 4, "held {} events", inner.held.as_ref().unwrap().len());
        // Events were dropped, so the session cannot be resumed: the client must identify again.
        assert_eq!(inner.kick.map(|(c, close)| (c, close.resumable)), Some((7, false)));
    }
}
