//! A read-through cache of the small, read-mostly records every request looks up (the
//! caller's token hash, user and bot application; the guild, its roles, its channels and the
//! caller's membership), so a message create or a history page costs one indexed read of its own data
//! instead of half a dozen.
//!
//! Invalidation is deliberately coarse and therefore easy to keep right: a global generation
//! counter, bumped by the writer thread after every committed write that may touch these
//! records (every write except the message plane's: messages, reactions, pins — see
//! `SqliteStore::write_messages`), before the writer answers. An entry is valid only for the
//! generation it was read in, and a read result is kept only if the generation did not move
//! while it was being read, so an entry can never hold data older than a write that already
//! returned. Another process writing the same database file (e.g. `guildhall seed` beside a
//! running server) only adds new records, which miss the cache.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries per map before it is emptied (a bound, not a tuning knob: ~100 MB worst case).
const MAX_ENTRIES: usize = 200_000;

/// The generation counter.
#[derive(Debug, Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Called by the writer thread after a commit, before it answers the writers.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// One cached lookup, `key → value` as of a generation.
#[derive(Debug)]
pub(crate) struct Slot<K, V> {
    map: Mutex<HashMap<K, (u64, V)>>,
}

impl<K, V> Default for Slot<K, V> {
    fn default() -> Self {
        Self { map: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq, V: Clone> Slot<K, V> {
    /// The value for `key` if it was read in `generation`.
    pub(crate) fn get(&self, generation: u64, key: &K) -> Option<V> {
        let map = crate::lock(&self.map);
        map.get(key).filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    /// Keeps `value`, read in `read_in`, unless a write committed since (`now != read_in`).
    pub(crate) fn put(&self, read_in: u64, now: u64, key: K, value: V) {
        if read_in != now {
            return;
        }
        let mut map = crate::lock(&self.map);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (read_in, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_valid_only_in_their_generation() {
        let generation = Generation::default();
        let slot: Slot<u64, &str> = Slot::default();
        let g = generation.current();
        slot.put(g, generation.current(), 1, "one");
        assert_eq!(slot.get(generation.current(), &1), Some("one"));
        generation.bump();
        assert_eq!(slot.get(generation.current(), &1), None, "a write invalidates every entry");
    }

    #[test]
    fn a_read_overtaken_by_a_write_is_not_kept() {
        let generation = Generation::default();
        let slot: Slot<u64, &str> = Slot::default();
        let read_in = generation.current();
        generation.bump(); // a write committed while the read was running
        slot.put(read_in, generation.current(), 1, "maybe stale");
        assert_eq!(slot.get(generation.current(), &1), None);
        assert_eq!(slot.get(read_in, &1), None);
    }
}
