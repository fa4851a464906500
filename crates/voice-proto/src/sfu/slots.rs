//! A browser's receive slots (its recvonly transceivers): which participant's audio, camera or
//! screen each one carries, and the rewriting that keeps each outgoing stream's sequence numbers
//! and timestamps continuous while its source changes (another participant, another simulcast
//! layer). Browsers offer a fixed set of slots when they connect, so nothing is renegotiated when
//! people come and go: the server only tells the client (op 12) which slot now carries whom.

use std::time::{Duration, Instant};

use str0m::media::{Mid, Rid};

/// What a participant sends: its microphone, its camera or its screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feed {
    Audio,
    Camera,
    Screen,
}

impl Feed {
    /// RTP timestamp step assumed between the last packet of one source and the first of the
    /// next (a 20 ms Opus frame; a 30 fps video frame).
    fn ts_step(self) -> u32 {
        match self {
            Feed::Audio => 960,
            Feed::Camera | Feed::Screen => 3000,
        }
    }
}

/// Keyframe requests toward a sender for one slot are at most this frequent.
const KEYFRAME_INTERVAL: Duration = Duration::from_millis(500);

/// One recvonly transceiver of a browser.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) mid: Mid,
    /// The sender (by SSRC) and feed it carries.
    pub(crate) owner: Option<(u32, Feed)>,
    /// The simulcast layer being forwarded (camera with layers only).
    pub(crate) rid: Option<Rid>,
    /// The layer to switch to at its next keyframe.
    pub(crate) pending: Option<Rid>,
    /// Nothing is forwarded on a video slot until a keyframe starts it.
    pub(crate) needs_keyframe: bool,
    last_keyframe_request: Option<Instant>,
    pub(crate) rewrite: Rewrite,
}

impl Slot {
    pub(crate) fn new(mid: Mid) -> Slot {
        Slot {
            mid,
            owner: None,
            rid: None,
            pending: None,
            needs_keyframe: false,
            last_keyframe_request: None,
            rewrite: Rewrite::default(),
        }
    }

    fn give(&mut self, owner: Option<(u32, Feed)>) {
        self.owner = owner;
        self.rid = None;
        self.pending = None;
        self.needs_keyframe = matches!(owner, Some((_, Feed::Camera | Feed::Screen)));
        self.rewrite.restart();
    }

    /// Whether a keyframe should be asked for now (rate-limited per slot).
    pub(crate) fn keyframe_due(&mut self, now: Instant) -> bool {
        if self.last_keyframe_request.is_some_and(|t| now.saturating_duration_since(t) < KEYFRAME_INTERVAL) {
            return false;
        }
        self.last_keyframe_request = Some(now);
        true
    }
}

/// A browser's audio and video slots.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    pub(crate) audio: Vec<Slot>,
    pub(crate) video: Vec<Slot>,
}

impl Slots {
    /// Makes the slots carry the first of `wanted` (in priority order) as far as there are
    /// slots of each kind, keeping every assignment that is still among them where it is (a
    /// receiver's jitter buffer keeps its stream). Returns the senders whose slots changed.
    pub(crate) fn assign(&mut self, wanted: &[(u32, Feed)]) -> Vec<u32> {
        let (audio, video) = (self.audio.len(), self.video.len());
        let mut carried = Vec::with_capacity(wanted.len());
        let (mut a, mut v) = (0, 0);
        for &w in wanted {
            let (count, cap) = if w.1 == Feed::Audio { (&mut a, audio) } else { (&mut v, video) };
            if *count < cap {
                *count += 1;
                carried.push(w);
            }
        }
        let wanted = &carried[..];
        let mut changed = Vec::new();
        for slots in [&mut self.audio, &mut self.video] {
            for slot in slots.iter_mut() {
                if let Some(owner) = slot.owner
                    && !wanted.contains(&owner)
                {
                    changed.push(owner.0);
                    slot.give(None);
                }
            }
        }
        for &(sender, feed) in wanted {
            let slots = if feed == Feed::Audio { &mut self.audio } else { &mut self.video };
            if slots.iter().any(|s| s.owner == Some((sender, feed))) {
                continue;
            }
            if let Some(free) = slots.iter_mut().find(|s| s.owner.is_none()) {
                free.give(Some((sender, feed)));
                changed.push(sender);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    pub(crate) fn find_mut(&mut self, sender: u32, feed: Feed) -> Option<&mut Slot> {
        let slots = if feed == Feed::Audio { &mut self.audio } else { &mut self.video };
        slots.iter_mut().find(|s| s.owner == Some((sender, feed)))
    }

    pub(crate) fn by_mid(&self, mid: Mid) -> Option<&Slot> {
        self.audio.iter().chain(&self.video).find(|s| s.mid == mid)
    }

    /// The mid carrying `sender`'s `feed`, if any.
    pub(crate) fn mid_of(&self, sender: u32, feed: Feed) -> Option<Mid> {
        let slots = if feed == Feed::Audio { &self.audio } else { &self.video };
        slots.iter().find(|s| s.owner == Some((sender, feed))).map(|s| s.mid)
    }

    /// Video slots carrying something (they share the receiver's bandwidth).
    pub(crate) fn video_in_use(&self) -> usize {
        self.video.iter().filter(|s| s.owner.is_some()).count()
    }
}

/// Keeps one outgoing stream continuous: sequence numbers count on without a jump when the
/// source changes (a receiver would otherwise see thousands of "lost" packets and NACK them),
/// and timestamps continue one frame after the last one sent.
#[derive(Debug, Default)]
pub(crate) struct Rewrite {
    started: bool,
    /// The next packet comes from a new source.
    fresh: bool,
    /// Extended sequence number of the newest packet written.
    out_seq: u64,
    /// The source's sequence number of that packet.
    in_seq: u16,
    /// Added to the source's timestamps.
    ts_offset: u32,
    /// Timestamp of the newest packet written.
    out_ts: u32,
}

/// A packet is placed at most this far behind the newest one (older ones are dropped).
const MAX_BEHIND: u16 = 512;

impl Rewrite {
    /// The next packet starts a new source.
    pub(crate) fn restart(&mut self) {
        self.fresh = true;
    }

    /// The (extended sequence number, timestamp) to send a source packet with, or `None` for
    /// a duplicate or one too old to place.
    pub(crate) fn map(&mut self, seq: u16, ts: u32, feed: Feed) -> Option<(u64, u32)> {
        if !self.started || self.fresh {
            self.ts_offset = if self.started { self.out_ts.wrapping_add(feed.ts_step()).wrapping_sub(ts) } else { 0 };
            self.out_seq = if self.started { self.out_seq + 1 } else { u64::from(seq) };
            self.started = true;
            self.fresh = false;
            self.in_seq = seq;
            self.out_ts = ts.wrapping_add(self.ts_offset);
            return Some((self.out_seq, self.out_ts));
        }
        let ahead = seq.wrapping_sub(self.in_seq);
        let out_ts = ts.wrapping_add(self.ts_offset);
        if ahead != 0 && ahead < 1 << 15 {
            self.out_seq += u64::from(ahead);
            self.in_seq = seq;
            self.out_ts = out_ts;
            return Some((self.out_seq, out_ts));
        }
        let behind = self.in_seq.wrapping_sub(seq);
        if ahead == 0 || behind > MAX_BEHIND || u64::from(behind) > self.out_seq {
            return None;
        }
        Some((self.out_seq - u64::from(behind), out_ts))
    }
}

/// The simulcast layer a receiver should get of a camera: the best of `available` (lowest
/// first) whose typical bitrate fits its share of the estimated bandwidth; the lowest when the
/// estimate is unknown or too small for any.
pub(crate) fn choose_layer(available: &[Rid], estimate_bps: Option<u64>, video_slots: usize) -> Option<Rid> {
    let lowest = *available.first()?;
    let Some(estimate) = estimate_bps else { return Some(lowest) };
    // Audio takes a little; what is left is shared by the video slots in use.
    let share = estimate.saturating_sub(100_000) / video_slots.max(1) as u64;
    available.iter().rev().find(|rid| layer_bitrate(rid) <= share).copied().or(Some(lowest))
}

/// Typical bitrate of a layer by its rid (the web client's encodings: l, m, h).
fn layer_bitrate(rid: &Rid) -> u64 {
    match &**rid {
        "l" | "q" => 150_000,
        "m" => 500_000,
        _ => 1_500_000,
    }
}

/// Orders layers lowest first by the web client's names, unknown names last.
pub(crate) fn layer_rank(rid: &Rid) -> u8 {
    match &**rid {
        "l" | "q" => 0,
        "m" => 1,
        "h" | "f" => 2,
        _ => 3,
    }
}

/// Whether a VP8 RTP payload (RFC 7741) starts a keyframe: the first packet of partition 0
/// (S=1, PID=0) whose VP8 frame header has P=0.
pub fn vp8_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else { return false };
    if first & 0x10 == 0 || first & 0x07 != 0 {
        return false;
    }
    let mut at = 1;
    if first & 0x80 != 0 {
        let Some(&ext) = payload.get(1) else { return false };
        at = 2;
        if ext & 0x80 != 0 {
            // PictureID: 7 bits, or 15 when its M bit is set.
            let Some(&pid) = payload.get(at) else { return false };
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if ext & 0x30 != 0 {
            at += 1; // TID/Y/KEYIDX
        }
    }
    payload.get(at).is_some_and(|b| b & 0x01 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mid(s: &str) -> Mid {
        Mid::from(s)
    }

    #[test]
    fn assignment_keeps_places_and_frees_what_is_gone() {
        let mut slots =
            Slots { audio: vec![Slot::new(mid("a0")), Slot::new(mid("a1"))], video: vec![Slot::new(mid("v0"))] };
        assert_eq!(slots.assign(&[(7, Feed::Audio), (9, Feed::Audio), (9, Feed::Camera)]), vec![7, 9]);
        assert_eq!(slots.mid_of(9, Feed::Audio), Some(mid("a1")));
        assert_eq!(slots.mid_of(9, Feed::Camera), Some(mid("v0")));
        assert!(slots.find_mut(9, Feed::Camera).is_some_and(|s| s.needs_keyframe));
        // 7 leaves, 11 arrives: 9 keeps a1, 11 gets a0; a third audio sender finds no slot.
        assert_eq!(
            slots.assign(&[(9, Feed::Audio), (9, Feed::Camera), (11, Feed::Audio), (12, Feed::Audio)]),
            vec![7, 11]
        );
        assert_eq!(slots.mid_of(9, Feed::Audio), Some(mid("a1")));
        assert_eq!(slots.mid_of(11, Feed::Audio), Some(mid("a0")));
        assert_eq!(slots.mid_of(12, Feed::Audio), None);
        assert_eq!(slots.by_mid(mid("a0")).and_then(|s| s.owner), Some((11, Feed::Audio)));
        assert_eq!(slots.video_in_use(), 1);
        assert_eq!(slots.assign(&[]), vec![9, 11]);
        assert_eq!(slots.video_in_use(), 0);
    }

    #[test]
    fn higher_priority_senders_take_slots_from_lower_ones() {
        let mut slots = Slots { audio: vec![Slot::new(mid("a0")), Slot::new(mid("a1"))], video: vec![] };
        slots.assign(&[(1, Feed::Audio), (2, Feed::Audio), (3, Feed::Audio)]);
        assert_eq!((slots.mid_of(1, Feed::Audio), slots.mid_of(2, Feed::Audio)), (Some(mid("a0")), Some(mid("a1"))));
        // 3 starts speaking and comes first: 2 (now last) loses its slot to it, 1 keeps a0.
        assert_eq!(slots.assign(&[(3, Feed::Audio), (1, Feed::Audio), (2, Feed::Audio)]), vec![2, 3]);
        assert_eq!((slots.mid_of(1, Feed::Audio), slots.mid_of(3, Feed::Audio)), (Some(mid("a0")), Some(mid("a1"))));
        assert_eq!(slots.mid_of(2, Feed::Audio), None);
    }

    #[test]
    fn rewrite_is_continuous_across_sources_and_keeps_late_packets() {
        let mut r = Rewrite::default();
        assert_eq!(r.map(100, 5000, Feed::Audio), Some((100, 5000)));
        assert_eq!(r.map(101, 5960, Feed::Audio), Some((101, 5960)));
        assert_eq!(r.map(103, 7880, Feed::Audio), Some((103, 7880)), "a gap stays a gap (the receiver NACKs it)");
        assert_eq!(r.map(102, 6920, Feed::Audio), Some((102, 6920)), "late packet fills it");
        assert_eq!(r.map(102, 6920, Feed::Audio), Some((102, 6920)), "behind the newest: placed again");
        assert_eq!(r.map(103, 7880, Feed::Audio), None, "the newest again is a duplicate");
        r.restart();
        assert_eq!(r.map(40_000, 1, Feed::Audio), Some((104, 7880 + 960)), "new source continues");
        assert_eq!(r.map(40_001, 961, Feed::Audio), Some((105, 7880 + 960 + 960)));
        assert_eq!(r.map(39_000, 0, Feed::Audio), None, "far behind is dropped");
        let mut w = Rewrite::default();
        assert_eq!(w.map(65_535, 0, Feed::Camera), Some((65_535, 0)));
        assert_eq!(w.map(0, 3000, Feed::Camera), Some((65_536, 3000)), "wraps into the next roll-over");
    }

    #[test]
    fn layers_follow_the_estimate() {
        let layers = [Rid::from("l"), Rid::from("m"), Rid::from("h")];
        assert_eq!(choose_layer(&layers, None, 1), Some(Rid::from("l")));
        assert_eq!(choose_layer(&layers, Some(3_000_000), 1), Some(Rid::from("h")));
        assert_eq!(choose_layer(&layers, Some(3_000_000), 2), Some(Rid::from("m")));
        assert_eq!(choose_layer(&layers, Some(3_000_000), 8), Some(Rid::from("l")));
        assert_eq!(choose_layer(&layers, Some(50_000), 1), Some(Rid::from("l")));
        assert_eq!(choose_layer(&[], Some(50_000), 1), None);
    }

    #[test]
    fn vp8_keyframes_are_recognised() {
        // X=1 S=1 PID=0, I=1 with a 15-bit picture id, then a keyframe header (P=0).
        assert!(vp8_keyframe(&[0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00]));
        assert!(!vp8_keyframe(&[0x90, 0x80, 0x81, 0x23, 0x11]), "P=1: interframe");
        assert!(!vp8_keyframe(&[0x80, 0x80, 0x81, 0x23, 0x10]), "S=0: not the frame's start");
        assert!(vp8_keyframe(&[0x10, 0x00]), "no extensions");
        assert!(!vp8_keyframe(&[0x90, 0xF0]), "truncated");
        assert!(!vp8_keyframe(&[]));
    }
}
