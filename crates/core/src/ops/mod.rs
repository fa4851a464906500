//! Every domain operation, one function per action: validate → authorize → write the store →
//! publish the event(s) (architecture.md "core"). REST handlers and gateway commands call these,
//! so both share one code path and one permission check.
//!
//! Operations are methods on [`Core`], grouped by resource in the submodules. Each takes the
//! acting [`Actor`] first and returns wire types (`guildhall_model`) or an [`Error`] carrying
//! Discord's code. Request bodies are the `*Request` structs of each module; transports
//! deserialize them, and the operation validates every field and reports all failures at once
//! as one 50035 with the nested field paths.

use std::sync::Arc;

use guildhall_bus::{Bus, Event};
use guildhall_model::id::marker::{ApplicationMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, SnowflakeGenerator, Timestamp};
use guildhall_store::Store;

use crate::token::TokenSecret;

mod access;
pub mod auth;
pub mod bans;
pub mod channels;
pub mod gateway;
pub mod guilds;
pub mod invites;
mod locks;
pub mod members;
pub mod messages;
pub mod pins;
pub mod query;
pub mod reactions;
pub mod roles;
pub mod users;
pub mod views;
pub mod webhooks;

pub use access::{ChannelAccess, DM_PERMISSIONS, GuildAccess};

pub use crate::error::{Code, Error, ErrorKind, Result};

/// The clock: the wall time as a [`Timestamp`]. Injected so tests can control time.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The domain service: the store, the bus, the id generator, the token secret and the clock.
#[derive(Clone)]
pub struct Core {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    ids: Arc<SnowflakeGenerator>,
    secret: TokenSecret,
    clock: Clock,
    locks: Arc<locks::Locks>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("bus", &self.bus).finish_non_exhaustive()
    }
}

impl Core {
    /// Builds the service.
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        ids: Arc<SnowflakeGenerator>,
        secret: TokenSecret,
        clock: Clock,
    ) -> Self {
        Self { store, bus, ids, secret, clock, locks: Arc::default() }
    }

    /// The store (reads that need no authorization, e.g. building GUILD_CREATE).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The bus.
    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.bus
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// A fresh snowflake minted now.
    pub fn next_id<T>(&self) -> Id<T> {
        let ms = u64::try_from(self.now().as_millis()).unwrap_or(0);
        self.ids.next(ms)
    }

    pub(crate) fn secret(&self) -> &TokenSecret {
        &self.secret
    }

    /// Publishes after a successful write. The write is already durable, so a bus failure is
    /// logged rather than reported to the caller as a failed request.
    pub(crate) async fn publish(&self, event: Event) {
        if let Err(error) = self.bus.publish(event).await {
            tracing::warn!(%error, "event not published");
        }
    }
}

/// Who is acting: an authenticated user or bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The acting user (a bot's user for bots).
    pub user: User,
    /// The bot's application, for bots.
    pub application_id: Option<Id<ApplicationMarker>>,
}

impl Actor {
    /// The acting user's id.
    pub fn id(&self) -> Id<UserMarker> {
        self.user.id
    }

    /// Whether the actor is a bot.
    pub fn is_bot(&self) -> bool {
        self.user.bot == Some(true)
    }
}
