//! The voice server directory (architecture.md "Voice join"): voice servers register here with
//! their region and load; a guild's first voice join assigns it the least-loaded server of its
//! region, and the guild keeps that server while anyone is connected (one voice server per
//! guild, so everyone in a channel meets on the same SFU).
//!
//! [`VoiceServer`] is the whole boundary between the domain and a voice server: core tells it
//! who may connect where ([`VoiceGrant`]) and reads its endpoint and load. On one node the
//! in-process voice server implements it; in a cluster the same calls go to a remote server
//! found through etcd.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};

/// What a voice server must enforce for one member of one guild. Sent on every change of the
/// member's voice state; the newest grant replaces the previous one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceGrant {
    pub guild_id: Id<GuildMarker>,
    pub user_id: Id<UserMarker>,
    /// The gateway session the voice state belongs to (voice IDENTIFY presents it).
    pub session_id: String,
    /// The voice channel, or `None` once the member left voice: their voice connection ends.
    pub channel_id: Option<Id<ChannelMarker>>,
    /// A new token for the next voice IDENTIFY (after a join or a move, which Discord answers
    /// with a fresh VOICE_SERVER_UPDATE); `None` keeps the current one valid.
    pub token: Option<String>,
    /// Nothing this member sends is forwarded (server mute, or a stage audience member).
    pub muted: bool,
    /// Nothing is forwarded to this member (server or self deafen).
    pub deafened: bool,
    /// With `channel_id: None`: the channel or the guild itself is gone (the voice connection
    /// ends with "call terminated", which clients do not retry) rather than the member leaving.
    pub terminated: bool,
}

/// A voice server as the directory sees it.
pub trait VoiceServer: Send + Sync + fmt::Debug {
    /// A name unique among the registered servers.
    fn id(&self) -> &str;
    /// The region it serves (`rtc_region` of voice channels picks it).
    fn region(&self) -> &str;
    /// `host:port/path` of its voice WebSocket, as VOICE_SERVER_UPDATE's `endpoint` (clients
    /// prepend `wss://`).
    fn endpoint(&self) -> String;
    /// How busy it is (connected participants); the least-loaded server gets new guilds.
    fn load(&self) -> u64;
    /// Enforce `grant` from now on: a move or mute takes effect before the call returns.
    fn apply(&self, grant: VoiceGrant);
}

#[derive(Debug, Default)]
struct Inner {
    servers: Vec<Arc<dyn VoiceServer>>,
    guilds: HashMap<Id<GuildMarker>, Arc<dyn VoiceServer>>,
}

/// The registered voice servers and which one each guild uses.
#[derive(Debug, Default)]
pub struct VoiceDirectory {
    inner: Mutex<Inner>,
}

impl VoiceDirectory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change is a single insert or removal, so a poisoned lock still holds a
        // consistent directory.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a server (replacing one with the same id).
    pub fn register(&self, server: Arc<dyn VoiceServer>) {
        let mut inner = self.lock();
        inner.servers.retain(|s| s.id() != server.id());
        inner.servers.push(server);
    }

    /// Removes a server; returns the guilds that were assigned to it (they are reassigned on
    /// their next join).
    pub fn deregister(&self, id: &str) -> Vec<Id<GuildMarker>> {
        let mut inner = self.lock();
        inner.servers.retain(|s| s.id() != id);
        let mut lost: Vec<_> = inner.guilds.iter().filter(|(_, s)| s.id() == id).map(|(g, _)| *g).collect();
        lost.sort();
        for guild in &lost {
            inner.guilds.remove(guild);
        }
        lost
    }

    /// The guild's server, assigning one on first use: the least-loaded server in `region`
    /// (any region when that one has none, or when `region` is `None`). `None` when no server
    /// is registered.
    pub fn assign(&self, guild_id: Id<GuildMarker>, region: Option<&str>) -> Option<Arc<dyn VoiceServer>> {
        let mut inner = self.lock();
        if let Some(server) = inner.guilds.get(&guild_id) {
            return Some(server.clone());
        }
        let in_region = |s: &&Arc<dyn VoiceServer>| region.is_none_or(|r| s.region() == r);
        let pick = inner
            .servers
            .iter()
            .filter(in_region)
            .min_by_key(|s| s.load())
            .or_else(|| inner.servers.iter().min_by_key(|s| s.load()))?
            .clone();
        inner.guilds.insert(guild_id, pick.clone());
        Some(pick)
    }

    /// The guild's server, if it has one.
    pub fn assigned(&self, guild_id: Id<GuildMarker>) -> Option<Arc<dyn VoiceServer>> {
        self.lock().guilds.get(&guild_id).cloned()
    }

    /// The guild has nobody in voice any more: its next join may go to another server.
    pub fn release(&self, guild_id: Id<GuildMarker>) {
        self.lock().guilds.remove(&guild_id);
    }

    /// The regions the registered servers serve, sorted (`GET /voice/regions`, and what
    /// `rtc_region` may name); [`DEFAULT_REGION`] alone while none is registered.
    pub fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = self.lock().servers.iter().map(|s| s.region().to_owned()).collect();
        if regions.is_empty() {
            regions.push(DEFAULT_REGION.to_owned());
        }
        regions.sort();
        regions.dedup();
        regions
    }
}

/// The region of a voice server that names none.
pub const DEFAULT_REGION: &str = "local";

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[derive(Debug)]
    struct Fake {
        id: &'static str,
        region: &'static str,
        load: AtomicU64,
        grants: Mutex<Vec<VoiceGrant>>,
    }

    impl VoiceServer for Fake {
        fn id(&self) -> &str {
            self.id
        }
        fn region(&self) -> &str {
            self.region
        }
        fn endpoint(&self) -> String {
            format!("{}.invalid:443/voice", self.id)
        }
        fn load(&self) -> u64 {
            self.load.load(Ordering::Relaxed)
        }
        fn apply(&self, grant: VoiceGrant) {
            self.grants.lock().unwrap().push(grant);
        }
    }

    fn server(id: &'static str, region: &'static str, load: u64) -> Arc<Fake> {
        Arc::new(Fake { id, region, load: AtomicU64::new(load), grants: Mutex::default() })
    }

    fn guild(n: u64) -> Id<GuildMarker> {
        Id::new_checked(n).unwrap()
    }

    #[test]
    fn least_loaded_in_region_and_sticky_per_guild() {
        let dir = VoiceDirectory::default();
        assert!(dir.assign(guild(1), None).is_none());
        let (a, b, c) = (server("a", "eu", 5), server("b", "eu", 2), server("c", "us", 0));
        dir.register(a.clone());
        dir.register(b.clone());
        dir.register(c.clone());
        assert_eq!(dir.assign(guild(1), Some("eu")).unwrap().id(), "b");
        assert_eq!(dir.assign(guild(2), None).unwrap().id(), "c");
        // A region nobody serves falls back to the least-loaded server anywhere.
        assert_eq!(dir.assign(guild(3), Some("mars")).unwrap().id(), "c");
        // The guild keeps its server even when another becomes lighter.
        b.load.store(100, Ordering::Relaxed);
        assert_eq!(dir.assign(guild(1), Some("eu")).unwrap().id(), "b");
        dir.release(guild(1));
        assert_eq!(dir.assign(guild(1), Some("eu")).unwrap().id(), "a");
        assert!(dir.assigned(guild(4)).is_none());
        assert_eq!(dir.regions(), ["eu", "us"]);
        assert_eq!(VoiceDirectory::default().regions(), [DEFAULT_REGION]);
    }

    #[test]
    fn deregistering_frees_its_guilds() {
        let dir = VoiceDirectory::default();
        dir.register(server("a", "eu", 0));
        dir.register(server("b", "eu", 1));
        dir.assign(guild(1), None);
        dir.assign(guild(2), None);
        assert_eq!(dir.deregister("a"), {
            let mut lost = vec![guild(1), guild(2)];
            lost.sort();
            lost
        });
        assert_eq!(dir.assign(guild(1), None).unwrap().id(), "b");
        // Registering the same id again replaces the entry.
        dir.register(server("b", "us", 9));
        assert_eq!(dir.lock().servers.len(), 1);
    }
}
