//! The datagrams the SFU produces, packed for `sendmmsg`, and the cheap hasher for the maps
//! keyed by ids the server hands out.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::ops::Range;

/// One datagram to send from the SFU's socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    pub data: Vec<u8>,
}

/// The datagrams one or more [`Sfu::handle_batch`](super::Sfu::handle_batch) calls produced, packed back to back in one
/// buffer that is reused from batch to batch: forwarding a packet to a thousand listeners
/// allocates nothing once the buffer has grown, and the driver hands the whole batch to one
/// `sendmmsg`.
#[derive(Debug, Default)]
pub struct Batch {
    buf: Vec<u8>,
    items: Vec<(SocketAddr, Range<usize>)>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Forgets the datagrams, keeping the memory.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.items.clear();
    }

    /// Datagrams in the batch.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Total payload bytes of the batch.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The `i`-th datagram: destination and bytes.
    pub fn get(&self, i: usize) -> Option<(SocketAddr, &[u8])> {
        let (to, range) = self.items.get(i)?;
        Some((*to, self.buf.get(range.clone())?))
    }

    /// The datagrams in the order they were produced.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (SocketAddr, &[u8])> + '_ {
        self.items.iter().map(|(to, range)| (*to, &self.buf[range.clone()]))
    }

    /// Appends one datagram written by `write` (which appends to the buffer it is given); if
    /// `write` fails, nothing is added.
    pub(crate) fn push_with<E>(
        &mut self,
        to: SocketAddr,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.buf.len();
        match write(&mut self.buf) {
            Ok(()) => {
                self.items.push((to, start..self.buf.len()));
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(start);
                Err(e)
            }
        }
    }
}

/// SSRCs and room ids are handed out by the server, not chosen by peers, so the map needs no
/// flooding-resistant hash; SipHash was a visible share of the per-listener cost of fan-out.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: the high bits hashbrown uses get every input bit mixed in.
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
