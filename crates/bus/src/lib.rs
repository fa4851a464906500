//! The event bus: core publishes one [`Event`] per dispatch after the store write succeeds; each
//! node holds one subscription and fans the events out to its local gateway sessions
//! (architecture.md "bus"). The payload is serialized JSON, made once per event, so fan-out never
//! re-serializes per session.
//!
//! Backends: [`LocalBus`] (in-process, one node). A NATS backend for several nodes comes with
//! the cluster work and implements the same [`Bus`] trait.

use std::sync::Arc;

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use tokio::sync::broadcast;

/// Who may receive an event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// Members of `guild_id`. When `channel_id` is set, only members who can view that channel;
    /// when `permission` is non-empty, only members holding at least one of those bits (in the
    /// channel when one is set, else guild-wide).
    Guild { guild_id: Id<GuildMarker>, channel_id: Option<Id<ChannelMarker>>, permission: Permissions },
    /// Exactly these users (DMs, USER_UPDATE, a guild removed from one user).
    Users(Vec<Id<UserMarker>>),
    /// One gateway session of one user (VOICE_SERVER_UPDATE answers the session that sent op 4).
    /// Sent through the bus, not straight to the session, so it stays in order behind the
    /// events published before it.
    Session { user_id: Id<UserMarker>, session_id: Arc<str> },
}

/// One dispatch: `t` = [`Event::name`], `d` = [`Event::data`].
#[derive(Clone, Debug)]
pub struct Event {
    /// The dispatch name (`MESSAGE_CREATE`, …).
    pub name: &'static str,
    /// Who may see it.
    pub audience: Audience,
    /// The intent a session needs to receive it (empty: delivered regardless of intents).
    pub intent: Intents,
    /// The dispatch body, already JSON.
    pub data: Arc<serde_json::Value>,
}

impl Event {
    /// An event for the members of a guild who can see `channel` (if any).
    pub fn guild(
        name: &'static str,
        guild_id: Id<GuildMarker>,
        channel_id: Option<Id<ChannelMarker>>,
        intent: Intents,
        data: serde_json::Value,
    ) -> Self {
        Self {
            name,
            audience: Audience::Guild { guild_id, channel_id, permission: Permissions::empty() },
            intent,
            data: Arc::new(data),
        }
    }

    /// An event for specific users.
    pub fn users(name: &'static str, users: Vec<Id<UserMarker>>, intent: Intents, data: serde_json::Value) -> Self {
        Self { name, audience: Audience::Users(users), intent, data: Arc::new(data) }
    }

    /// An event for one gateway session of `user_id`.
    pub fn session(
        name: &'static str,
        user_id: Id<UserMarker>,
        session_id: &str,
        intent: Intents,
        data: serde_json::Value,
    ) -> Self {
        Self {
            name,
            audience: Audience::Session { user_id, session_id: session_id.into() },
            intent,
            data: Arc::new(data),
        }
    }

    /// Restricts a guild event to members holding one of `permission`'s bits.
    #[must_use]
    pub fn requiring(mut self, permission: Permissions) -> Self {
        if let Audience::Guild { permission: p, .. } = &mut self.audience {
            *p = permission;
        }
        self
    }
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The backend could not take the event.
    #[error("bus backend: {0}")]
    Backend(String),
}

/// A subscription to every event published on the bus (one per node).
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
}

/// What [`Subscription::recv`] yields.
#[derive(Debug)]
#[non_exhaustive]
pub enum Received {
    /// The next event.
    Event(Arc<Event>),
    /// This subscriber fell behind and `n` events were dropped for it; sessions that depended on
    /// them must be resynchronised (the gateway closes them resumably).
    Lagged(u64),
}

impl Subscription {
    /// The next event, or `None` when the bus is gone.
    pub async fn recv(&mut self) -> Option<Received> {
        match self.rx.recv().await {
            Ok(event) => Some(Received::Event(event)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(Received::Lagged(n)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is already waiting.
    pub fn try_recv(&mut self) -> Option<Received> {
        match self.rx.try_recv() {
            Ok(event) => Some(Received::Event(event)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Received::Lagged(n)),
            Err(_) => None,
        }
    }
}

/// Publish/subscribe backend.
#[async_trait]
pub trait Bus: Send + Sync + std::fmt::Debug {
    /// Publishes `event` to every subscriber (in order per publisher).
    async fn publish(&self, event: Event) -> Result<(), BusError>;
    /// Subscribes to all events published from now on.
    fn subscribe(&self) -> Subscription;
}

/// The in-process bus: a bounded broadcast channel.
#[derive(Debug, Clone)]
pub struct LocalBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    /// Default capacity: enough for bursts while a node's fan-out task catches up.
    pub const DEFAULT_CAPACITY: usize = 16 * 1024;

    /// A bus that buffers up to `capacity` events per lagging subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, event: Event) -> Result<(), BusError> {
        // No subscriber (no gateway sessions yet) is not an error: nobody is listening.
        let _ = self.tx.send(Arc::new(event));
        Ok(())
    }

    fn subscribe(&self) -> Subscription {
        Subscription { rx: self.tx.subscribe() }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn guild() -> Id<GuildMarker> {
        Id::new_checked(1).unwrap()
    }

    #[tokio::test]
    async fn subscribers_see_events_in_order() {
        let bus = LocalBus::new(8);
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        for n in 0..3 {
            bus.publish(Event::guild("TEST", guild(), None, Intents::GUILDS, serde_json::json!(n))).await.unwrap();
        }
        for sub in [&mut a, &mut b] {
            for n in 0..3 {
                match sub.recv().await.unwrap() {
                    Received::Event(e) => assert_eq!(*e.data, serde_json::json!(n)),
                    Received::Lagged(_) => panic!("lagged"),
                }
            }
        }
    }

    #[tokio::test]
    async fn slow_subscriber_is_told_it_lagged() {
        let bus = LocalBus::new(2);
        let mut sub = bus.subscribe();
        for n in 0..5 {
            bus.publish(Event::users("TEST", vec![], Intents::empty(), serde_json::json!(n))).await.unwrap();
        }
        assert!(matches!(sub.recv().await.unwrap(), Received::Lagged(3)));
    }

    #[test]
    fn requiring_only_applies_to_guild_events() {
        let e = Event::guild("X", guild(), None, Intents::empty(), serde_json::Value::Null)
            .requiring(Permissions::BAN_MEMBERS);
        assert!(matches!(e.audience, Audience::Guild { permission, .. } if permission == Permissions::BAN_MEMBERS));
        let u =
            Event::users("X", vec![], Intents::empty(), serde_json::Value::Null).requiring(Permissions::BAN_MEMBERS);
        assert!(matches!(u.audience, Audience::Users(_)));
    }
}
