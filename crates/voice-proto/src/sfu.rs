//! The forwarding core of the voice server (protocol.md §6.5–§6.7): one instance per UDP
//! socket, fed every datagram by the driver, answering with the datagrams to send.
//!
//! Participants are keyed by SSRC (the driver hands out unique ones) and grouped in rooms (one
//! per voice channel). Each RTP packet is opened once with its sender's key and sealed again for
//! every listener with that listener's key and its own nonce counter: transport encryption is
//! per hop. The clear RTP prefix (header, CSRCs, extension preamble) is forwarded unchanged, so
//! receivers see the sender's SSRC, sequence, timestamp and payload type. There are no timers:
//! nothing happens unless a datagram arrives, so a silent channel costs nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use crate::crypto::{Cipher, Mode, OVERHEAD};
use crate::discovery;
use crate::rtp::{self, Kind};

/// One datagram to send from the SFU's socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    pub data: Vec<u8>,
}

/// Counters since the SFU was created. Every datagram passed to [`Sfu::handle`] is counted in
/// `received` and in exactly one of `rtp`, `discovery`, `keepalives`, `rtcp` and the `dropped_*`
/// fields, except that an opened packet from a muted sender counts in `rtp` and `dropped_muted`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SfuStats {
    /// Datagrams handed to [`Sfu::handle`].
    pub received: u64,
    /// RTP packets opened with their sender's key (muted senders' included).
    pub rtp: u64,
    /// Datagrams sent out as forwarded RTP (one per receiver).
    pub forwarded: u64,
    /// Discovery requests answered.
    pub discovery: u64,
    /// Keepalives (ignored).
    pub keepalives: u64,
    /// RTCP packets (read and dropped; clients need none from us).
    pub rtcp: u64,
    /// RTP packets from a server-muted participant.
    pub dropped_muted: u64,
    /// RTP packets whose tag did not verify with the sender's key.
    pub dropped_undecryptable: u64,
    /// RTP packets or discovery requests for an SSRC no participant has.
    pub dropped_unknown_ssrc: u64,
    /// RTP packets from a participant that has not selected a mode yet.
    pub dropped_no_cipher: u64,
    /// Datagrams that are neither discovery, keepalive, RTP nor RTCP, or malformed RTP.
    pub dropped_malformed: u64,
    /// Times a participant's address was learnt or moved.
    pub address_changes: u64,
}

#[derive(Debug)]
struct Participant {
    room: u64,
    user_id: u64,
    cipher: Option<Cipher>,
    addr: Option<SocketAddr>,
    muted: bool,
    deafened: bool,
    /// Nonce counter of the next packet sealed *for* this participant.
    tx_counter: u32,
    /// Highest counter seen in this participant's packets (a replayed older packet must not
    /// move its address).
    rx_counter: Option<u32>,
    last_received: Option<Instant>,
}

/// The forwarding state of one UDP socket.
#[derive(Debug, Default)]
pub struct Sfu {
    participants: HashMap<u32, Participant>,
    /// SSRCs per room, in joining order (which fixes the order of a packet's transmits).
    rooms: HashMap<u64, Vec<u32>>,
    /// The plaintext of the packet being forwarded, reused so forwarding allocates only the
    /// outgoing datagrams.
    scratch: Vec<u8>,
    stats: SfuStats,
}

impl Sfu {
    pub fn new() -> Sfu {
        Sfu::default()
    }

    /// A participant at READY: no key and no address yet. `room` is the voice channel id.
    /// An SSRC already present is replaced.
    pub fn add(&mut self, ssrc: u32, room: u64, user_id: u64) {
        self.remove(ssrc);
        self.participants.insert(
            ssrc,
            Participant {
                room,
                user_id,
                cipher: None,
                addr: None,
                muted: false,
                deafened: false,
                tx_counter: 0,
                rx_counter: None,
                last_received: None,
            },
        );
        self.rooms.entry(room).or_default().push(ssrc);
    }

    /// The key chosen at SELECT_PROTOCOL. Packets sealed for this participant count from 0 again.
    pub fn set_cipher(&mut self, ssrc: u32, cipher: Cipher) {
        if let Some(p) = self.participants.get_mut(&ssrc) {
            p.cipher = Some(cipher);
            p.tx_counter = 0;
            p.rx_counter = None;
        }
    }

    /// Server mute: nothing is forwarded from it. Deaf: nothing is forwarded to it.
    pub fn set_flags(&mut self, ssrc: u32, muted: bool, deafened: bool) {
        if let Some(p) = self.participants.get_mut(&ssrc) {
            p.muted = muted;
            p.deafened = deafened;
        }
    }

    /// Moves a participant to another room, effective from the next packet.
    pub fn set_room(&mut self, ssrc: u32, room: u64) {
        let Some(p) = self.participants.get_mut(&ssrc) else { return };
        if p.room == room {
            return;
        }
        let old = std::mem::replace(&mut p.room, room);
        self.leave_room(old, ssrc);
        self.rooms.entry(room).or_default().push(ssrc);
    }

    /// Forgets a participant (left the channel, or its session ended).
    pub fn remove(&mut self, ssrc: u32) {
        if let Some(p) = self.participants.remove(&ssrc) {
            self.leave_room(p.room, ssrc);
        }
    }

    fn leave_room(&mut self, room: u64, ssrc: u32) {
        if let Some(members) = self.rooms.get_mut(&room) {
            members.retain(|&s| s != ssrc);
            if members.is_empty() {
                self.rooms.remove(&room);
            }
        }
    }

    pub fn stats(&self) -> SfuStats {
        self.stats
    }

    pub fn len(&self) -> usize {
        self.participants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// The user a participant's SSRC belongs to.
    pub fn user_id(&self, ssrc: u32) -> Option<u64> {
        self.participants.get(&ssrc).map(|p| p.user_id)
    }

    /// Where packets for this participant go, once known.
    pub fn address(&self, ssrc: u32) -> Option<SocketAddr> {
        self.participants.get(&ssrc).and_then(|p| p.addr)
    }

    /// The mode the participant selected, once it has.
    pub fn mode(&self, ssrc: u32) -> Option<Mode> {
        self.participants.get(&ssrc).and_then(|p| p.cipher.as_ref()).map(Cipher::mode)
    }

    /// When a datagram was last attributed to this participant (discovery, its SSRC keepalive or
    /// an authenticated packet), for a driver that wants to notice dead media paths.
    pub fn last_received(&self, ssrc: u32) -> Option<Instant> {
        self.participants.get(&ssrc).and_then(|p| p.last_received)
    }

    /// One datagram from `from`; datagrams to send are pushed to `out`.
    ///
    /// Discovery → the 74-byte reply to `from`, which becomes the participant's address if it
    /// has none yet.
    /// Keepalive → nothing (songbird's 4-byte SSRC keepalive may move a known participant to
    /// another port of the same IP, as after a NAT rebinding). RTP from a participant with a
    /// key → opened once; unless the sender is muted, sealed for every *other* participant of
    /// its room that has a key and an address and is not deafened. A packet that opens and is
    /// newer than any before moves its sender to `from`. RTCP and anything else → dropped.
    pub fn handle(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Vec<Transmit>) {
        self.stats.received += 1;
        match rtp::classify(data) {
            Kind::Discovery => self.discovery(now, from, data, out),
            Kind::Keepalive => self.keepalive(now, from, data),
            Kind::Rtp => self.rtp(now, from, data, out),
            Kind::Rtcp => {
                // Nothing is done with receiver reports yet; reading the header keeps the
                // demultiplexing honest and gives the fuzzer something to chew on.
                if rtp::parse_rtcp(data).is_ok() {
                    self.stats.rtcp += 1;
                } else {
                    self.stats.dropped_malformed += 1;
                }
            }
            Kind::Unknown => self.stats.dropped_malformed += 1,
        }
    }

    fn discovery(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Vec<Transmit>) {
        let Some(ssrc) = discovery::parse_request(data) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        // Only SSRCs handed out in READY get an answer, so the port is no reflector for strangers.
        let Some(p) = self.participants.get_mut(&ssrc) else {
            self.stats.dropped_unknown_ssrc += 1;
            return;
        };
        // The first discovery tells where the participant is. Later ones are answered but move
        // nothing: SSRCs are public (op 5), so an unauthenticated datagram must not redirect
        // someone's media; a packet sealed with the participant's key does that (see `rtp`).
        if p.addr.is_none() {
            p.addr = Some(from);
            self.stats.address_changes += 1;
        }
        p.last_received = Some(now);
        self.stats.discovery += 1;
        out.push(Transmit { to: from, data: discovery::response(ssrc, from).to_vec() });
    }

    fn keepalive(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.stats.keepalives += 1;
        let Ok(ssrc) = <[u8; 4]>::try_from(data).map(u32::from_be_bytes) else { return };
        let Some(p) = self.participants.get_mut(&ssrc) else { return };
        // Unauthenticated, so only a port change on the address already known is believed.
        if let Some(addr) = p.addr
            && addr.ip() == from.ip()
        {
            if addr != from {
                p.addr = Some(from);
                self.stats.address_changes += 1;
            }
            p.last_received = Some(now);
        }
    }

    fn rtp(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Vec<Transmit>) {
        let Ok(header) = rtp::parse_rtp(data) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        let Some(sender) = self.participants.get_mut(&header.ssrc) else {
            self.stats.dropped_unknown_ssrc += 1;
            return;
        };
        let Some(cipher) = &sender.cipher else {
            self.stats.dropped_no_cipher += 1;
            return;
        };
        self.scratch.clear();
        let Ok(counter) = cipher.open(data, header.prefix_len, &mut self.scratch) else {
            self.stats.dropped_undecryptable += 1;
            return;
        };
        sender.last_received = Some(now);
        if is_newer(counter, sender.rx_counter) {
            sender.rx_counter = Some(counter);
            if sender.addr != Some(from) {
                sender.addr = Some(from);
                self.stats.address_changes += 1;
            }
        }
        self.stats.rtp += 1;
        if sender.muted {
            self.stats.dropped_muted += 1;
            return;
        }
        let Some(members) = self.rooms.get(&sender.room) else { return };
        let prefix = &data[..header.prefix_len];
        for &ssrc in members {
            if ssrc == header.ssrc {
                continue;
            }
            let Some(receiver) = self.participants.get_mut(&ssrc) else { continue };
            let (Some(cipher), Some(to), false) = (&receiver.cipher, receiver.addr, receiver.deafened) else {
                continue;
            };
            let mut packet = Vec::with_capacity(prefix.len() + self.scratch.len() + OVERHEAD);
            // Sealing fails only for inputs over the AEAD's size limit, far beyond a datagram.
            if cipher.seal(prefix, &self.scratch, receiver.tx_counter, &mut packet).is_ok() {
                receiver.tx_counter = receiver.tx_counter.wrapping_add(1);
                out.push(Transmit { to, data: packet });
                self.stats.forwarded += 1;
            }
        }
    }
}

/// Whether `counter` comes after `last` in the sender's wrapping u32 sequence (within half the
/// range, as clients start anywhere: discord.py at 0, discord.js at 1, songbird at random).
fn is_newer(counter: u32, last: Option<u32>) -> bool {
    match last {
        None => true,
        Some(last) => {
            let ahead = counter.wrapping_sub(last);
            ahead != 0 && ahead < 1 << 31
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_counters_wrap() {
        assert!(is_newer(0, None));
        assert!(is_newer(1, Some(0)));
        assert!(is_newer(0, Some(u32::MAX)));
        assert!(is_newer(5, Some(u32::MAX - 5)));
        assert!(!is_newer(7, Some(7)));
        assert!(!is_newer(6, Some(7)));
        assert!(!is_newer(u32::MAX, Some(0)));
        assert!(!is_newer(7 + (1 << 31), Some(7)));
    }

    #[test]
    fn receiver_counter_wraps() {
        let now = Instant::now();
        let (a, b): (SocketAddr, SocketAddr) = ("192.0.2.1:1".parse().unwrap(), "192.0.2.2:2".parse().unwrap());
        let mut sfu = Sfu::new();
        for (ssrc, addr) in [(1, a), (2, b)] {
            sfu.add(ssrc, 1, u64::from(ssrc));
            sfu.set_cipher(ssrc, Cipher::new(Mode::XChaCha20Poly1305Rtpsize, &[ssrc as u8; 32]));
            sfu.handle(now, addr, &discovery::request(ssrc), &mut Vec::new());
        }
        sfu.participants.get_mut(&2).unwrap().tx_counter = u32::MAX;
        let sender = Cipher::new(Mode::XChaCha20Poly1305Rtpsize, &[1; 32]);
        let receiver = Cipher::new(Mode::XChaCha20Poly1305Rtpsize, &[2; 32]);
        for (i, expected) in [u32::MAX, 0, 1].into_iter().enumerate() {
            let mut packet = Vec::new();
            let header = [0x80, 0x78, 0, i as u8, 0, 0, 0, 0, 0, 0, 0, 1];
            sender.seal(&header, b"opus", i as u32, &mut packet).unwrap();
            let mut out = Vec::new();
            sfu.handle(now, a, &packet, &mut out);
            let mut plain = Vec::new();
            assert_eq!(receiver.open(&out[0].data, 12, &mut plain), Ok(expected));
            assert_eq!(plain, b"opus");
        }
    }
}
