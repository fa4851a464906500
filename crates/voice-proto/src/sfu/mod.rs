//! The forwarding core of the voice server (protocol.md §6.5–§6.7): one instance per UDP
//! socket, fed every datagram by the driver, answering with the datagrams to send.
//!
//! Participants are keyed by SSRC (the driver hands out unique ones) and grouped in rooms (one
//! per voice channel). Each RTP packet is opened once with its sender's key and sealed again for
//! every listener with that listener's key and its own nonce counter: transport encryption is
//! per hop. The clear RTP prefix (header, CSRCs, extension preamble) is forwarded unchanged, so
//! receivers see the sender's SSRC, sequence, timestamp and payload type. Native participants
//! need no timers: nothing happens unless a datagram arrives, so a silent channel costs nothing.
//!
//! Browsers take part through WebRTC (modules `bridge` and `web`): each has a str0m peer connection on
//! the same socket, found by the address its ICE checks came from. Their packets and native ones
//! are bridged both ways packet by packet (Opus payloads are the same on both sides; only the
//! transport differs), so every room mixes both kinds freely.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use crate::crypto::{Cipher, Mode};
use crate::discovery;
use crate::rtp::{self, Kind};

mod batch;
mod bridge;
mod replay;
mod slots;
mod stun;
mod web;

pub use batch::{Batch, Transmit};
pub use bridge::SfuEvent;
pub use slots::{Feed, vp8_keyframe};

use batch::IdMap;
use replay::{Fresh, ReplayWindow};
use web::{Media, PeerEvent, WebPeer};

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
    /// RTP packets whose counter was seen already (replays) or is too far behind.
    pub dropped_replayed: u64,
    /// RTP packets or discovery requests for an SSRC no participant has.
    pub dropped_unknown_ssrc: u64,
    /// RTP packets from a participant that has not selected a mode yet.
    pub dropped_no_cipher: u64,
    /// Datagrams that are neither discovery, keepalive, RTP nor RTCP, or malformed RTP.
    pub dropped_malformed: u64,
    /// Times a participant's address was learnt or moved.
    pub address_changes: u64,
    /// Datagrams of browsers' WebRTC connections (STUN, DTLS, SRTP, SRTCP).
    pub webrtc: u64,
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
    /// The counters of this participant's recent packets, so a replayed packet is dropped.
    replay: ReplayWindow,
    last_received: Option<Instant>,
    /// When it last sent voice (audio at all from native clients, which stop when silent;
    /// audio above the silence level from browsers): speakers come first for receive slots.
    last_voice: Option<Instant>,
    /// A browser: its WebRTC connection (the fields above about keys and addresses are unused).
    web: Option<Box<WebPeer>>,
}

/// The forwarding state of one UDP socket.
#[derive(Debug, Default)]
pub struct Sfu {
    participants: IdMap<u32, Participant>,
    /// SSRCs per room, in joining order (which fixes the order of a packet's transmits).
    rooms: IdMap<u64, Vec<u32>>,
    /// The batch [`Sfu::handle`] fills before copying it out as [`Transmit`]s.
    compat: Batch,
    /// The plaintext of the packet being forwarded, reused so forwarding allocates only the
    /// outgoing datagrams.
    scratch: Vec<u8>,
    stats: SfuStats,
    /// Where browsers reach this socket (the ICE host candidate); WebRTC needs it.
    local: Option<SocketAddr>,
    /// Browsers by the addresses their ICE checks came from.
    web_addrs: HashMap<SocketAddr, u32>,
    /// Browsers by the ICE ufrag of their connection.
    ufrags: HashMap<String, u32>,
    /// The participants that are browsers (the only ones with timers).
    browsers: Vec<u32>,
    /// Work browsers' connections produced, with the SSRC of the participant it came from.
    queue: VecDeque<(u32, PeerEvent)>,
    /// Scratch for one peer call's events before they are tagged into `queue`.
    peer_events: Vec<PeerEvent>,
    /// What signalling must tell clients.
    notices: VecDeque<SfuEvent>,
    /// Browsers with forwarded packets not yet drained (see [`Sfu::flush`]).
    unflushed: Vec<u32>,
    /// The time of the newest input, for slot priorities.
    clock: Option<Instant>,
    /// The DTLS certificate every browser connection presents (made at the first offer).
    dtls_cert: Option<str0m::config::DtlsCert>,
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
                tx_counter: FIRST_TX_COUNTER,
                replay: ReplayWindow::default(),
                last_received: None,
                last_voice: None,
                web: None,
            },
        );
        self.rooms.entry(room).or_default().push(ssrc);
        self.reassign(room);
    }

    /// The key chosen at SELECT_PROTOCOL. Packets sealed for this participant count from
    /// [`FIRST_TX_COUNTER`] again.
    pub fn set_cipher(&mut self, ssrc: u32, cipher: Cipher) {
        if let Some(p) = self.participants.get_mut(&ssrc) {
            p.cipher = Some(cipher);
            p.tx_counter = FIRST_TX_COUNTER;
            p.replay = ReplayWindow::default();
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
        self.reassign(old);
        self.reassign(room);
    }

    /// Forgets a participant (left the channel, or its session ended).
    pub fn remove(&mut self, ssrc: u32) {
        if let Some(p) = self.participants.remove(&ssrc) {
            if let Some(web) = p.web {
                self.forget_web(&web);
                self.browsers.retain(|&s| s != ssrc);
            }
            self.leave_room(p.room, ssrc);
            self.reassign(p.room);
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
        let mut batch = std::mem::take(&mut self.compat);
        batch.clear();
        self.handle_batch(now, from, data, &mut batch);
        self.flush(now, &mut batch);
        out.extend(batch.iter().map(|(to, data)| Transmit { to, data: data.to_vec() }));
        self.compat = batch;
    }

    /// [`Sfu::handle`] for drivers: the datagrams to send are appended to `out` (not cleared
    /// here, so one batch can collect the answers to many received datagrams). Packets for
    /// browsers are only queued in their connections: call [`Sfu::flush`] after the batch.
    pub fn handle_batch(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Batch) {
        self.stats.received += 1;
        self.clock = Some(now);
        if !self.web_addrs.is_empty()
            && let Some(&ssrc) = self.web_addrs.get(&from)
        {
            self.web_receive(now, ssrc, from, data, out);
            return;
        }
        if stun::is_stun(data) {
            self.stun(now, from, data, out);
            return;
        }
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

    fn discovery(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Batch) {
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
        let reply = discovery::response(ssrc, from);
        let _ = out.push_with(from, |buf| {
            buf.extend_from_slice(&reply);
            Ok::<(), ()>(())
        });
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

    fn rtp(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut Batch) {
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
        match sender.replay.check(counter) {
            Fresh::Replayed => {
                // A captured packet sent again (from anywhere) would otherwise be heard again.
                self.stats.dropped_replayed += 1;
                return;
            }
            Fresh::Newest => {
                if sender.addr != Some(from) {
                    sender.addr = Some(from);
                    self.stats.address_changes += 1;
                }
            }
            Fresh::Late => {}
        }
        sender.last_received = Some(now);
        self.stats.rtp += 1;
        if sender.muted {
            self.stats.dropped_muted += 1;
            return;
        }
        let room = sender.room;
        if !active(sender.last_voice.replace(now), now) && !self.browsers.is_empty() {
            // A new speaker may need a receive slot some browser gave to someone silent.
            self.reassign(room);
        }
        let Some(sender) = self.participants.get(&header.ssrc) else { return };
        let Some(members) = self.rooms.get(&sender.room) else { return };
        let prefix = &data[..header.prefix_len];
        // Built at the first browser among the receivers: one payload copy shared by all of them.
        let mut media: Option<Media> = None;
        for &ssrc in members {
            if ssrc == header.ssrc {
                continue;
            }
            let Some(receiver) = self.participants.get_mut(&ssrc) else { continue };
            if let Some(web) = receiver.web.as_mut() {
                if receiver.deafened {
                    continue;
                }
                if media.is_none() {
                    media = web::native_audio(&header, &self.scratch);
                }
                let Some(media) = &media else { continue };
                let written = web.written;
                let _ = web.forward(now, header.ssrc, media, &[]);
                if web.written > written {
                    self.stats.forwarded += 1;
                    if !self.unflushed.contains(&ssrc) {
                        self.unflushed.push(ssrc);
                    }
                }
                continue;
            }
            let (Some(cipher), Some(to), false) = (&receiver.cipher, receiver.addr, receiver.deafened) else {
                continue;
            };
            let counter = receiver.tx_counter;
            // Sealing fails only for inputs over the AEAD's size limit, far beyond a datagram.
            if out.push_with(to, |buf| cipher.seal(prefix, &self.scratch, counter, buf)).is_ok() {
                receiver.tx_counter = counter.wrapping_add(1);
                self.stats.forwarded += 1;
            }
        }
        self.process_queue(now, out);
    }
}

/// Someone who sent voice this recently counts as speaking (for receive slots).
const SPEAKING_RECENTLY: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether voice last sent at `last` is recent at `now`.
fn active(last: Option<Instant>, now: Instant) -> bool {
    last.is_some_and(|t| now.saturating_duration_since(t) < SPEAKING_RECENTLY)
}

/// The first nonce counter of packets the SFU seals for a participant. The participant's own
/// packets use the same key with counters from 0 (discord.py), 1 (discord.js) or a random start
/// (songbird), and one key must never seal two packets with one nonce (for AES-GCM that leaks
/// the authentication key). Starting half the range away keeps the two sequences apart for
/// 2^31 packets (over a year of audio) for the libraries that count from 0 or 1.
pub const FIRST_TX_COUNTER: u32 = 1 << 31;

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn batch_collects_many_datagrams_and_matches_handle() {
        let now = Instant::now();
        let addrs: Vec<SocketAddr> = (1..=3).map(|i| SocketAddr::from(([192, 0, 2, i], 1000))).collect();
        let mut sfu = Sfu::new();
        let mut twin = Sfu::new();
        let mut batch = Batch::new();
        for (ssrc, &addr) in (1u32..=3).zip(&addrs) {
            for s in [&mut sfu, &mut twin] {
                s.add(ssrc, 1, u64::from(ssrc));
                s.set_cipher(ssrc, Cipher::new(Mode::Aes256GcmRtpsize, &[ssrc as u8; 32]));
            }
            sfu.handle_batch(now, addr, &discovery::request(ssrc), &mut batch);
            twin.handle(now, addr, &discovery::request(ssrc), &mut Vec::new());
        }
        assert_eq!(batch.len(), 3, "one discovery reply each, appended");
        assert_eq!(batch.get(2).map(|(to, d)| (to, d.len())), Some((addrs[2], discovery::PACKET_LEN)));
        batch.clear();
        assert!(batch.is_empty() && batch.bytes() == 0);

        let sender = Cipher::new(Mode::Aes256GcmRtpsize, &[1; 32]);
        let mut expected = Vec::new();
        for i in 0..2u8 {
            let mut packet = Vec::new();
            sender.seal(&[0x80, 0x78, 0, i, 0, 0, 0, 0, 0, 0, 0, 1], b"opus", u32::from(i), &mut packet).unwrap();
            sfu.handle_batch(now, addrs[0], &packet, &mut batch);
            twin.handle(now, addrs[0], &packet, &mut expected);
        }
        let got: Vec<Transmit> = batch.iter().map(|(to, data)| Transmit { to, data: data.to_vec() }).collect();
        assert_eq!(got, expected, "same datagrams, same order, same counters");
        assert_eq!(got.len(), 4);
        assert_eq!(sfu.stats(), twin.stats());
    }
}
