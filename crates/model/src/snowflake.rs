//! Snowflake generation (protocol.md §5).
//!
//! Layout: bits 63–22 milliseconds since the Discord epoch, 21–17 worker, 16–12 process,
//! 11–0 increment. The generator never reads a clock: the caller passes `now`, so tests
//! control time. Ids are strictly increasing per generator, even when the clock stands
//! still or steps back: the increment then carries into the timestamp bits, borrowing
//! time from the future instead of ever issuing a duplicate or an out-of-order id.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::id::Id;

/// 2015-01-01T00:00:00Z in milliseconds since the Unix epoch.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

const INCREMENT_BITS: u32 = 12;
const TIMESTAMP_SHIFT: u32 = 22;

/// Issues unique, monotonic snowflakes for one worker/process pair.
#[derive(Debug)]
pub struct SnowflakeGenerator {
    node_bits: u64,
    /// `(ms since Discord epoch) << 12 | increment` of the last id issued.
    last: AtomicU64,
}

impl SnowflakeGenerator {
    /// A generator for `worker` (0–31) and `process` (0–31); higher bits are masked off.
    pub fn new(worker: u8, process: u8) -> Self {
        let node_bits = (u64::from(worker & 0x1F) << 17) | (u64::from(process & 0x1F) << 12);
        Self { node_bits, last: AtomicU64::new(0) }
    }

    /// The next id, given the current Unix time in milliseconds.
    pub fn next<T>(&self, now_unix_ms: u64) -> Id<T> {
        let now = now_unix_ms.saturating_sub(DISCORD_EPOCH_MS) << INCREMENT_BITS;
        let mut current = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = now.max(current + 1);
            match self.last.compare_exchange_weak(current, candidate, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return self.compose(candidate),
                Err(seen) => current = seen,
            }
        }
    }

    fn compose<T>(&self, state: u64) -> Id<T> {
        let ms = state >> INCREMENT_BITS;
        let increment = state & ((1 << INCREMENT_BITS) - 1);
        let raw = (ms << TIMESTAMP_SHIFT) | self.node_bits | increment;
        // Only the very first id at the epoch itself with node 0/0 could be 0; bump it to 1.
        Id::from_nonzero(std::num::NonZeroU64::new(raw).unwrap_or(std::num::NonZeroU64::MIN))
    }
}

/// The smallest snowflake at or after `unix_ms`: Discord's pagination sentinel for a time.
/// Returns 0 for times before the epoch, which is why it is a plain `u64`.
pub const fn sentinel_for_time(unix_ms: u64) -> u64 {
    unix_ms.saturating_sub(DISCORD_EPOCH_MS) << TIMESTAMP_SHIFT
}

/// The parts of a snowflake, for tests and debugging.
pub const fn decompose(raw: u64) -> (u64, u8, u8, u16) {
    (
        (raw >> TIMESTAMP_SHIFT) + DISCORD_EPOCH_MS,
        ((raw >> 17) & 0x1F) as u8,
        ((raw >> 12) & 0x1F) as u8,
        (raw & 0xFFF) as u16,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::marker::MessageMarker;

    const NOW: u64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

    #[test]
    fn layout_matches_discord() {
        let g = SnowflakeGenerator::new(3, 9);
        let id: Id<MessageMarker> = g.next(NOW);
        let (ms, worker, process, inc) = decompose(id.get());
        assert_eq!((ms, worker, process), (NOW, 3, 9));
        assert_eq!(inc, 0);
        assert_eq!(id.timestamp_ms(), NOW);
    }

    #[test]
    fn monotonic_within_a_millisecond() {
        let g = SnowflakeGenerator::new(0, 0);
        let ids: Vec<u64> = (0..5000).map(|_| g.next::<MessageMarker>(NOW).get()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        // 4096 fit in the millisecond; the rest borrow the next one.
        assert_eq!(decompose(ids[4095]).0, NOW);
        assert_eq!(decompose(ids[4096]).0, NOW + 1);
    }

    #[test]
    fn clock_going_backwards_never_repeats() {
        let g = SnowflakeGenerator::new(1, 1);
        let a = g.next::<MessageMarker>(NOW + 10);
        let b = g.next::<MessageMarker>(NOW);
        assert!(b > a);
    }

    #[test]
    fn node_bits_are_masked() {
        let g = SnowflakeGenerator::new(0xFF, 0xFF);
        let (_, w, p, _) = decompose(g.next::<MessageMarker>(NOW).get());
        assert_eq!((w, p), (31, 31));
    }

    #[test]
    fn concurrent_generation_is_unique() {
        let g = std::sync::Arc::new(SnowflakeGenerator::new(0, 0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = g.clone();
                std::thread::spawn(move || (0..2000).map(|_| g.next::<MessageMarker>(NOW).get()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn sentinel() {
        assert_eq!(sentinel_for_time(DISCORD_EPOCH_MS), 0);
        assert_eq!(sentinel_for_time(0), 0);
        assert_eq!(sentinel_for_time(DISCORD_EPOCH_MS + 1), 1 << 22);
    }
}
