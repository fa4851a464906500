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
use guildhall_store::{BlobStore, Store};

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
pub mod oauth2;
pub mod pins;
pub mod presence;
pub mod query;
pub mod reactions;
pub mod request_members;
pub mod roles;
pub mod users;
pub mod views;
pub mod voice_states;
pub mod webhooks;

pub use access::{ChannelAccess, DM_PERMISSIONS, GuildAccess};

pub use crate::error::{Code, Error, ErrorKind, Result};

/// The clock: the wall time as a [`Timestamp`]. Injected so tests can control time.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Where attachment URLs point until [`Core::with_public_url`] says otherwise.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The domain service: the store, the attachment files, the bus, the id generator, the token
/// secret and the clock.
#[derive(Clone)]
pub struct Core {
    store: Arc<dyn Store>,
    blobs: Arc<dyn BlobStore>,
    bus: Arc<dyn Bus>,
    ids: Arc<SnowflakeGenerator>,
    secret: TokenSecret,
    clock: Clock,
    locks: Arc<locks::Locks>,
    /// Scheme, host and port of this server as clients reach it (no trailing slash): the base
    /// of attachment URLs.
    public_url: Arc<str>,
    /// Gateway sessions' presences (in memory, this node's sessions).
    presences: Arc<presence::PresenceRegistry>,
    /// Voice states (in memory, this node's sessions).
    voice: Arc<voice_states::VoiceRegistry>,
    /// The voice servers and each guild's assignment.
    voice_servers: Arc<crate::VoiceDirectory>,
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
        blobs: Arc<dyn BlobStore>,
        bus: Arc<dyn Bus>,
        ids: Arc<SnowflakeGenerator>,
        secret: TokenSecret,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            blobs,
            bus,
            ids,
            secret,
            clock,
            locks: Arc::default(),
            public_url: DEFAULT_PUBLIC_URL.into(),
            presences: Arc::default(),
            voice: Arc::default(),
            voice_servers: Arc::default(),
        }
    }

    /// The voice server directory (voice servers register themselves here).
    pub fn voice_servers(&self) -> &crate::VoiceDirectory {
        &self.voice_servers
    }

    /// The same service, with attachment URLs under `url` (e.g. `https://chat.example`; a
    /// trailing slash is dropped). Known only once the server has bound its address.
    #[must_use]
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').into();
        self
    }

    /// The base of attachment URLs.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The store (reads that need no authorization, e.g. building GUILD_CREATE).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The attachment files.
    pub fn blobs(&self) -> &dyn BlobStore {
        self.blobs.as_ref()
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
