//! The per-session replay buffer and outbound queue in one structure (sans-IO).
//!
//! Every dispatch for a session gets the next sequence number and is kept here, whether or not
//! a connection is attached: the unsent tail is the outbound queue, the sent part is what a
//! RESUME may replay. Both are bounded: the whole buffer by `capacity` entries (oldest dropped
//! first), and — while a connection is attached — the unsent tail by the caller's backlog limit,
//! beyond which the connection is closed (resumably) instead of growing memory. An entry is a
//! sequence number and a shared, already-serialized event body; per-session cost is two words.

use std::collections::VecDeque;
use std::sync::Arc;

/// One serialized dispatch body, shared by every session that receives it.
#[derive(Debug)]
pub struct Frame {
    /// `t`.
    pub name: &'static str,
    /// `d`, serialized JSON.
    pub data: Box<[u8]>,
}

impl Frame {
    /// A frame from its name and serialized body.
    pub fn new(name: &'static str, data: Vec<u8>) -> Arc<Self> {
        Arc::new(Self { name, data: data.into_boxed_slice() })
    }

    /// A frame serializing `value` (serializing a `Value` cannot fail).
    pub fn json(name: &'static str, value: &serde_json::Value) -> Arc<Self> {
        Self::new(name, serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()))
    }
}

/// Why a RESUME cannot continue from the client's sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeError {
    /// The client claims a sequence number it was never sent (close 4007).
    InvalidSeq,
    /// Dispatches after the client's sequence number were dropped (op 9, not resumable).
    Evicted,
}

/// Sequenced dispatches of one session.
#[derive(Debug)]
pub struct Outbox {
    entries: VecDeque<(u64, Arc<Frame>)>,
    /// The sequence number of the last dispatch pushed (0: none yet).
    last: u64,
    /// The last sequence number written to the current connection.
    sent: u64,
    /// The highest sequence number ever dropped from the front.
    evicted: u64,
    capacity: usize,
}

impl Outbox {
    /// An empty outbox keeping at most `capacity` dispatches.
    pub fn new(capacity: usize) -> Self {
        Self { entries: VecDeque::new(), last: 0, sent: 0, evicted: 0, capacity: capacity.max(1) }
    }

    /// Appends a dispatch and returns its sequence number.
    pub fn push(&mut self, frame: Arc<Frame>) -> u64 {
        self.last += 1;
        if self.entries.len() == self.capacity
            && let Some((seq, _)) = self.entries.pop_front()
        {
            self.evicted = seq;
        }
        self.entries.push_back((self.last, frame));
        self.last
    }

    /// Dispatches pushed but not yet written to the connection.
    pub fn backlog(&self) -> u64 {
        self.last - self.sent
    }

    /// Dispatches pushed after `seq` and not yet written to the connection.
    pub fn backlog_after(&self, seq: u64) -> u64 {
        self.last.saturating_sub(self.sent.max(seq))
    }

    /// Whether the next push would drop a dispatch not yet written to the connection.
    pub fn full_of_unsent(&self) -> bool {
        self.backlog() >= self.capacity as u64
    }

    /// Whether unsent dispatches were dropped (the session can no longer be resumed).
    pub fn lost_unsent(&self) -> bool {
        self.evicted > self.sent
    }

    /// The most dispatches kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The last sequence number pushed.
    pub fn last_seq(&self) -> u64 {
        self.last
    }

    /// Takes the unsent dispatches (in order) and counts them as sent.
    pub fn take_unsent(&mut self, max: usize) -> Vec<(u64, Arc<Frame>)> {
        // Entries hold consecutive sequence numbers, so the first unsent one is found by offset.
        let front = self.entries.front().map_or(self.last + 1, |(seq, _)| *seq);
        let start = usize::try_from((self.sent + 1).saturating_sub(front)).unwrap_or(usize::MAX);
        let out: Vec<_> = self.entries.iter().skip(start).take(max).cloned().collect();
        if let Some((seq, _)) = out.last() {
            self.sent = *seq;
        }
        out
    }

    /// Drops the dispatches up to `seq` that were written to the connection: the client's
    /// heartbeat says it has them, so a RESUME will not ask for them (one that does anyway gets
    /// [`ResumeError::Evicted`], as for dispatches dropped for capacity). Without this, an idle
    /// session would keep its READY and GUILD_CREATEs for its whole life.
    pub fn forget_through(&mut self, seq: u64) {
        let seq = seq.min(self.sent);
        while let Some((front, _)) = self.entries.front()
            && *front <= seq
        {
            self.evicted = *front;
            self.entries.pop_front();
        }
        if self.entries.is_empty() {
            // Give the memory back: idle sessions are the common case.
            self.entries = VecDeque::new();
        }
    }

    /// Rewinds to what a resuming client has seen: everything after `seq` will be sent again.
    pub fn resume_from(&mut self, seq: u64) -> Result<(), ResumeError> {
        if seq > self.last {
            return Err(ResumeError::InvalidSeq);
        }
        if seq < self.evicted {
            return Err(ResumeError::Evicted);
        }
        self.sent = seq;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn frame(n: u8) -> Arc<Frame> {
        Frame::new("X", vec![n])
    }

    fn seqs(v: &[(u64, Arc<Frame>)]) -> Vec<u64> {
        v.iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn sequence_numbers_start_at_one_and_unsent_drains_in_order() {
        let mut o = Outbox::new(8);
        assert_eq!(o.push(frame(1)), 1);
        assert_eq!(o.push(frame(2)), 2);
        assert_eq!(o.backlog(), 2);
        assert_eq!(seqs(&o.take_unsent(1)), vec![1]);
        assert_eq!(seqs(&o.take_unsent(10)), vec![2]);
        assert!(o.take_unsent(10).is_empty());
        assert_eq!(o.backlog(), 0);
    }

    #[test]
    fn resume_replays_everything_after_the_clients_seq() {
        let mut o = Outbox::new(8);
        for n in 0..5 {
            o.push(frame(n));
        }
        o.take_unsent(10);
        o.push(frame(5));
        o.resume_from(2).unwrap();
        assert_eq!(seqs(&o.take_unsent(10)), vec![3, 4, 5, 6]);
        assert_eq!(o.resume_from(7), Err(ResumeError::InvalidSeq));
        o.resume_from(6).unwrap();
        assert!(o.take_unsent(10).is_empty());
        o.resume_from(0).unwrap();
        assert_eq!(seqs(&o.take_unsent(10)), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn acknowledged_dispatches_are_forgotten_but_unsent_ones_kept() {
        let mut o = Outbox::new(8);
        for n in 0..4 {
            o.push(frame(n));
        }
        o.take_unsent(2);
        // The client claims 4 but only 1 and 2 were written: 3 and 4 stay.
        o.forget_through(4);
        assert_eq!(o.entries.len(), 2);
        assert!(!o.lost_unsent());
        assert_eq!(o.resume_from(1), Err(ResumeError::Evicted));
        o.resume_from(2).unwrap();
        assert_eq!(seqs(&o.take_unsent(10)), vec![3, 4]);
        o.forget_through(4);
        assert_eq!(o.entries.capacity(), 0);
        o.resume_from(4).unwrap();
        assert_eq!(o.push(frame(9)), 5);
        assert_eq!(seqs(&o.take_unsent(10)), vec![5]);
    }

    #[test]
    fn capacity_drops_the_oldest_and_resume_before_them_fails() {
        let mut o = Outbox::new(3);
        for n in 0..5 {
            o.push(frame(n));
        }
        // 1 and 2 were dropped unsent.
        assert!(o.lost_unsent());
        assert_eq!(o.resume_from(1), Err(ResumeError::Evicted));
        o.resume_from(2).unwrap();
        assert_eq!(seqs(&o.take_unsent(10)), vec![3, 4, 5]);
        assert!(!o.lost_unsent());
    }
}
