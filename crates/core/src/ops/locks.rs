//! Serialization of read-modify-write operations.
//!
//! Operations such as "add one overwrite" or "grant one role" read a record, change it and
//! write the whole record back. Two of them running at once on the same guild would each write
//! their own version and one change would be lost (a lockdown script that denies many roles in
//! parallel would silently keep only some denies). Such operations take the lock of their
//! guild (of the DM channel, user or other object when there is no guild) for their whole
//! read-modify-write, so they apply one after another. This is per process: the cluster mode
//! will need the store to do these updates atomically instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use guildhall_model::Id;
use guildhall_model::id::marker::ChannelMarker;
use tokio::sync::OwnedMutexGuard;

use super::{Core, Result};

/// One async mutex per object id, created on demand and dropped when unused.
#[derive(Debug, Default)]
pub(crate) struct Locks {
    map: Mutex<HashMap<u64, Weak<tokio::sync::Mutex<()>>>>,
}

/// Entries kept before unused ones are swept.
const SWEEP_AT: usize = 4096;

impl Locks {
    fn mutex(&self, key: u64) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = map.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        if map.len() >= SWEEP_AT {
            map.retain(|_, weak| weak.strong_count() > 0);
        }
        let mutex = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(key, Arc::downgrade(&mutex));
        mutex
    }
}

impl Core {
    /// Holds the lock of the object with snowflake `key` (a guild, user, channel…).
    pub(crate) async fn lock(&self, key: u64) -> OwnedMutexGuard<()> {
        self.locks.mutex(key).lock_owned().await
    }

    /// Holds the lock of the guild of `channel_id` (of the channel itself outside guilds).
    pub(crate) async fn lock_channel_scope(&self, channel_id: Id<ChannelMarker>) -> Result<OwnedMutexGuard<()>> {
        let key = match self.store().channel(channel_id).await? {
            Some(channel) => channel.guild_id.map_or(channel_id.get(), Id::get),
            None => channel_id.get(),
        };
        Ok(self.lock(key).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_key_serializes_and_entries_are_dropped() {
        let locks = Locks::default();
        let a = locks.mutex(1);
        let guard = a.clone().lock_owned().await;
        assert!(locks.mutex(1).try_lock().is_err(), "same key, same mutex");
        assert!(locks.mutex(2).try_lock().is_ok(), "other keys are free");
        drop(guard);
        drop(a);
        assert!(
            locks
                .map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&1)
                .and_then(Weak::upgrade)
                .is_none()
        );
    }
}
