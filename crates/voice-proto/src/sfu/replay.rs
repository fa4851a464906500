//! Replay protection for Discord-protocol senders (RFC 3711 §3.3.2 applied to the rtpsize
//! nonce counter).

/// How a packet's counter relates to those already seen from its sender.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fresh {
    /// Newer than any before: the sender is where this packet came from.
    Newest,
    /// Older than the newest but not seen yet (reordered in the network).
    Late,
    /// Seen already, or too old to tell: dropped.
    Replayed,
}

/// The sender's newest counter and which of the [`WINDOW`] counters before it were seen, as
/// SRTP's replay protection keeps them (RFC 3711 §3.3.2). Counters wrap: "newer" means ahead by
/// less than half the range.
#[derive(Debug, Default)]
pub(crate) struct ReplayWindow {
    newest: Option<u32>,
    /// Bit `i` set: counter `newest - i` was seen.
    seen: u64,
}

/// Packets (about 1.3 s of audio) a packet may arrive late and still be forwarded.
pub(crate) const WINDOW: u32 = 64;

impl ReplayWindow {
    pub(crate) fn check(&mut self, counter: u32) -> Fresh {
        let Some(newest) = self.newest else {
            self.newest = Some(counter);
            self.seen = 1;
            return Fresh::Newest;
        };
        let ahead = counter.wrapping_sub(newest);
        if ahead != 0 && ahead < 1 << 31 {
            self.seen = if ahead >= WINDOW { 0 } else { self.seen << ahead };
            self.seen |= 1;
            self.newest = Some(counter);
            return Fresh::Newest;
        }
        let behind = newest.wrapping_sub(counter);
        if behind >= WINDOW || self.seen & (1 << behind) != 0 {
            return Fresh::Replayed;
        }
        self.seen |= 1 << behind;
        Fresh::Late
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_window_wraps_and_drops_duplicates() {
        let mut w = ReplayWindow::default();
        assert_eq!(w.check(u32::MAX - 1), Fresh::Newest);
        assert_eq!(w.check(u32::MAX - 1), Fresh::Replayed);
        assert_eq!(w.check(1), Fresh::Newest, "wraps past u32::MAX");
        assert_eq!(w.check(u32::MAX), Fresh::Late, "reordered, not seen yet");
        assert_eq!(w.check(u32::MAX), Fresh::Replayed);
        assert_eq!(w.check(0), Fresh::Late);
        assert_eq!(w.check(1), Fresh::Replayed);
        assert_eq!(w.check(1 + WINDOW), Fresh::Newest);
        assert_eq!(w.check(1), Fresh::Replayed, "a full window behind is too old");
        assert_eq!(w.check(2), Fresh::Late);
        // Half the range ahead counts as behind (old), never as newer.
        assert_eq!(w.check((1 + WINDOW).wrapping_add(1 << 31)), Fresh::Replayed);
        assert_eq!(w.check(1000 + WINDOW), Fresh::Newest);
        assert_eq!(w.check(999 + WINDOW), Fresh::Late);
        assert_eq!(w.check(999), Fresh::Replayed, "more than a window behind");
    }
}
