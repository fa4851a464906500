//! The SFU with three simulated clients at made-up addresses: no sockets, time advanced by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::discovery;
use guildhall_voice_proto::rtp::parse_rtp;
use guildhall_voice_proto::sfu::{FIRST_TX_COUNTER, Sfu, SfuStats, Transmit};

const ROOM: u64 = 100;
const OTHER_ROOM: u64 = 200;

/// One simulated client: its SSRC, socket address, key and outgoing nonce counter.
struct Client {
    ssrc: u32,
    addr: SocketAddr,
    key: [u8; 32],
    mode: Mode,
    counter: u32,
    sequence: u16,
}

impl Client {
    fn new(ssrc: u32, addr: &str, mode: Mode) -> Client {
        Client { ssrc, addr: addr.parse().unwrap(), key: [ssrc as u8; 32], mode, counter: 0, sequence: 0 }
    }

    fn cipher(&self) -> Cipher {
        Cipher::new(self.mode, &self.key)
    }

    fn header(&mut self) -> Vec<u8> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut h = vec![0x80, 0x78];
        h.extend(self.sequence.to_be_bytes());
        h.extend((u32::from(self.sequence) * 960).to_be_bytes());
        h.extend(self.ssrc.to_be_bytes());
        h
    }

    /// A packet as a bot sends it, with `payload` as the Opus frame.
    fn packet(&mut self, payload: &[u8]) -> Vec<u8> {
        let header = self.header();
        self.seal(&header, payload)
    }

    fn seal(&mut self, prefix: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.cipher().seal(prefix, plaintext, self.counter, &mut out).unwrap();
        self.counter = self.counter.wrapping_add(1);
        out
    }

    /// Opens a forwarded packet: (counter, plaintext), or `None` if it isn't for this key.
    fn open(&self, data: &[u8]) -> Option<(u32, Vec<u8>)> {
        let header = parse_rtp(data).ok()?;
        let mut out = Vec::new();
        let counter = self.cipher().open(data, header.prefix_len, &mut out).ok()?;
        Some((counter, out))
    }
}

struct World {
    sfu: Sfu,
    now: Instant,
    a: Client,
    b: Client,
    c: Client,
}

impl World {
    /// A (AES-GCM), B (XChaCha) and C (AES-GCM) in one room, discovered and keyed.
    fn new() -> World {
        let mut w = World {
            sfu: Sfu::new(),
            now: Instant::now(),
            a: Client::new(1, "198.51.100.1:50001", Mode::Aes256GcmRtpsize),
            b: Client::new(2, "198.51.100.2:50002", Mode::XChaCha20Poly1305Rtpsize),
            c: Client::new(3, "[2001:db8::3]:50003", Mode::Aes256GcmRtpsize),
        };
        for (client, user) in [(&w.a, 10), (&w.b, 20), (&w.c, 30)] {
            w.sfu.add(client.ssrc, ROOM, user);
        }
        for i in 0..3 {
            let (ssrc, addr) = {
                let c = w.client(i);
                (c.ssrc, c.addr)
            };
            let out = w.send(addr, &discovery::request(ssrc));
            assert_eq!(out.len(), 1);
            let cipher = w.client(i).cipher();
            w.sfu.set_cipher(ssrc, cipher);
        }
        w
    }

    fn client(&self, i: usize) -> &Client {
        [&self.a, &self.b, &self.c][i]
    }

    fn send(&mut self, from: SocketAddr, data: &[u8]) -> Vec<Transmit> {
        self.now += Duration::from_millis(20);
        let mut out = Vec::new();
        self.sfu.handle(self.now, from, data, &mut out);
        out
    }

    /// A speaks one frame; returns the transmits.
    fn a_speaks(&mut self, payload: &[u8]) -> Vec<Transmit> {
        let packet = self.a.packet(payload);
        let from = self.a.addr;
        self.send(from, &packet)
    }

    fn destinations(out: &[Transmit]) -> Vec<SocketAddr> {
        out.iter().map(|t| t.to).collect()
    }
}

#[test]
fn discovery_reply_and_address_learning() {
    let mut sfu = Sfu::new();
    let now = Instant::now();
    sfu.add(7, ROOM, 70);
    assert_eq!(sfu.address(7), None);
    assert_eq!(sfu.user_id(7), Some(70));
    let from: SocketAddr = "203.0.113.9:40000".parse().unwrap();
    let mut out = Vec::new();
    sfu.handle(now, from, &discovery::request(7), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].to, from);
    assert_eq!(out[0].data.len(), 74);
    assert_eq!(out[0].data[1], 0x02);
    assert_eq!(discovery::parse_response(&out[0].data), Some((7, from)));
    assert_eq!(sfu.address(7), Some(from));
    assert_eq!(sfu.last_received(7), Some(now));

    // A second discovery from elsewhere is answered but moves nothing: SSRCs are public (op 5),
    // so an unauthenticated datagram must not redirect someone's media. Only a packet sealed
    // with the participant's key moves it.
    let moved: SocketAddr = "[2001:db8::9]:40001".parse().unwrap();
    out.clear();
    sfu.handle(now, moved, &discovery::request(7), &mut out);
    assert_eq!(discovery::parse_response(&out[0].data), Some((7, moved)));
    assert_eq!(sfu.address(7), Some(from));

    // An SSRC nobody was given gets no answer.
    out.clear();
    sfu.handle(now, from, &discovery::request(8), &mut out);
    assert!(out.is_empty());
    let stats = sfu.stats();
    assert_eq!((stats.received, stats.discovery, stats.dropped_unknown_ssrc, stats.address_changes), (3, 2, 1, 1));
}

#[test]
fn a_reaches_b_and_c_with_their_own_keys_and_counters() {
    let mut w = World::new();
    w.a.counter = 0x7000_0000; // the sender's counter has nothing to do with the receivers'
    let out = w.a_speaks(&[0xf8, 0xff, 0xfe]);
    assert_eq!(World::destinations(&out), [w.b.addr, w.c.addr]);
    let a_header = &out[0].data[..12];
    assert_eq!(parse_rtp(&out[0].data).unwrap().ssrc, 1);
    for (t, receiver, other) in [(&out[0], &w.b, &w.c), (&out[1], &w.c, &w.b)] {
        assert_eq!(&t.data[..12], a_header, "header forwarded unchanged");
        assert_eq!(receiver.open(&t.data), Some((FIRST_TX_COUNTER, vec![0xf8, 0xff, 0xfe])));
        assert_eq!(other.open(&t.data), None, "sealed for one receiver only");
        assert_eq!(w.a.open(&t.data), None);
    }

    for n in 1..4u32 {
        let out = w.a_speaks(&[n as u8]);
        assert_eq!(w.b.open(&out[0].data), Some((FIRST_TX_COUNTER + n, vec![n as u8])));
        assert_eq!(w.c.open(&out[1].data), Some((FIRST_TX_COUNTER + n, vec![n as u8])));
    }

    // B speaks: C continues its own sequence, A starts at the first server counter.
    let packet = w.b.packet(b"hi");
    let out = w.send(w.b.addr, &packet);
    assert_eq!(World::destinations(&out), [w.a.addr, w.c.addr]);
    assert_eq!(w.a.open(&out[0].data), Some((FIRST_TX_COUNTER, b"hi".to_vec())));
    assert_eq!(w.c.open(&out[1].data), Some((FIRST_TX_COUNTER + 4, b"hi".to_vec())));

    let stats = w.sfu.stats();
    assert_eq!((stats.rtp, stats.forwarded), (5, 10));

    // A new key (SELECT_PROTOCOL again) restarts the counter of packets sealed for C.
    w.c.key = [0x33; 32];
    let cipher = w.c.cipher();
    w.sfu.set_cipher(w.c.ssrc, cipher);
    let out = w.a_speaks(b"x");
    assert_eq!(w.c.open(&out[1].data), Some((FIRST_TX_COUNTER, b"x".to_vec())));
}

#[test]
fn mute_deafen_room_and_remove_take_effect_at_the_next_packet() {
    let mut w = World::new();
    let (a, b, c) = (w.a.ssrc, w.b.ssrc, w.c.ssrc);

    w.sfu.set_flags(a, true, false);
    assert!(w.a_speaks(b"1").is_empty());
    assert_eq!(w.sfu.stats().dropped_muted, 1);
    w.sfu.set_flags(a, false, false);
    assert_eq!(w.a_speaks(b"2").len(), 2);

    // Deaf C hears nothing but can still be heard.
    w.sfu.set_flags(c, false, true);
    assert_eq!(World::destinations(&w.a_speaks(b"3")), [w.b.addr]);
    let packet = w.c.packet(b"c");
    assert_eq!(World::destinations(&w.send(w.c.addr, &packet)), [w.a.addr, w.b.addr]);
    w.sfu.set_flags(c, false, false);
    let out = w.a_speaks(b"4");
    assert_eq!(World::destinations(&out), [w.b.addr, w.c.addr]);
    // C got "2" (counter 0) and missed "1" (muted) and "3" (deaf): its counter counts only what it was sent.
    assert_eq!(w.c.open(&out[1].data), Some((FIRST_TX_COUNTER + 1, b"4".to_vec())));

    // C moves away: nothing crosses rooms in either direction.
    w.sfu.set_room(c, OTHER_ROOM);
    assert_eq!(World::destinations(&w.a_speaks(b"5")), [w.b.addr]);
    let packet = w.c.packet(b"c");
    assert!(w.send(w.c.addr, &packet).is_empty());
    w.sfu.set_room(b, OTHER_ROOM);
    let packet = w.c.packet(b"c");
    assert_eq!(World::destinations(&w.send(w.c.addr, &packet)), [w.b.addr]);
    assert!(w.a_speaks(b"6").is_empty(), "A is alone now");
    w.sfu.set_room(b, OTHER_ROOM); // no-op
    assert_eq!(w.sfu.len(), 3);

    // Removed: B receives nothing, and its packets are from an unknown SSRC.
    w.sfu.remove(b);
    let packet = w.c.packet(b"c");
    assert!(w.send(w.c.addr, &packet).is_empty());
    let packet = w.b.packet(b"b");
    assert!(w.send(w.b.addr, &packet).is_empty());
    assert_eq!(w.sfu.stats().dropped_unknown_ssrc, 1);
    assert_eq!(w.sfu.user_id(b), None);

    // Back to one room (C returns): A and C hear each other again.
    w.sfu.set_room(c, ROOM);
    assert_eq!(World::destinations(&w.a_speaks(b"7")), [w.c.addr]);
}

#[test]
fn undecryptable_unknown_and_keyless_dropped() {
    let mut w = World::new();
    // Sealed with someone else's key.
    let header = w.a.header();
    let mut forged = Vec::new();
    Cipher::new(Mode::Aes256GcmRtpsize, &[0xee; 32]).seal(&header, b"evil", 0, &mut forged).unwrap();
    assert!(w.send(w.a.addr, &forged).is_empty());
    // A's own packet with a flipped payload byte.
    let mut tampered = w.a.packet(b"good");
    tampered[13] ^= 1;
    assert!(w.send(w.a.addr, &tampered).is_empty());
    assert_eq!(w.sfu.stats().dropped_undecryptable, 2);

    // D joined and did discovery but has no key yet: it neither sends nor receives.
    let mut d = Client::new(4, "198.51.100.4:50004", Mode::Aes256GcmRtpsize);
    w.sfu.add(d.ssrc, ROOM, 40);
    assert_eq!(w.send(d.addr, &discovery::request(d.ssrc)).len(), 1);
    assert_eq!(World::destinations(&w.a_speaks(b"x")), [w.b.addr, w.c.addr]);
    let packet = d.packet(b"d");
    assert!(w.send(d.addr, &packet).is_empty());
    assert_eq!(w.sfu.stats().dropped_no_cipher, 1);

    // E has a key but never told us where it is: it is skipped.
    let e = Client::new(5, "198.51.100.5:50005", Mode::Aes256GcmRtpsize);
    w.sfu.add(e.ssrc, ROOM, 50);
    w.sfu.set_cipher(e.ssrc, e.cipher());
    assert_eq!(w.sfu.mode(e.ssrc), Some(Mode::Aes256GcmRtpsize));
    assert_eq!(w.sfu.address(e.ssrc), None);
    assert_eq!(World::destinations(&w.a_speaks(b"x")), [w.b.addr, w.c.addr]);

    // An SSRC nobody has.
    let mut stranger = Client::new(99, "192.0.2.1:1", Mode::Aes256GcmRtpsize);
    let packet = stranger.packet(b"?");
    assert!(w.send(stranger.addr, &packet).is_empty());
    assert_eq!(w.sfu.stats().dropped_unknown_ssrc, 1);

    // Garbage: a version-2 packet too short for a tag, and a version-0 datagram.
    assert!(w.send(w.a.addr, &[0x80, 0x78, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]).is_empty());
    assert!(w.send(w.a.addr, &[0; 40]).is_empty());
    assert_eq!(w.sfu.stats().dropped_malformed, 2);
}

#[test]
fn rtcp_and_keepalives_not_forwarded() {
    let mut w = World::new();
    let before = w.sfu.stats();
    // discord.js keepalive: u32 LE counter + 4 zero bytes.
    assert!(w.send(w.a.addr, &[1, 0, 0, 0, 0, 0, 0, 0]).is_empty());
    // songbird keepalive: its SSRC, big-endian.
    assert!(w.send(w.b.addr, &w.b.ssrc.to_be_bytes()).is_empty());
    // An RTCP receiver report from A (songbird can send them).
    let mut rr = vec![0x81, 201, 0, 7];
    rr.extend(w.a.ssrc.to_be_bytes());
    rr.extend([0; 24]);
    assert!(w.send(w.a.addr, &rr).is_empty());
    let stats = w.sfu.stats();
    assert_eq!(stats.keepalives - before.keepalives, 2);
    assert_eq!(stats.rtcp - before.rtcp, 1);
    assert_eq!(stats.forwarded, before.forwarded);
    assert_eq!(stats.received - before.received, 3);
}

#[test]
fn extension_and_csrcs_forwarded_with_prefix_intact() {
    let mut w = World::new();
    // V=2, X=1, CC=2, marker + PT 120, two CSRCs, 0xBEDE preamble with a 2-word body.
    let mut prefix = vec![0x92, 0xf8, 0x01, 0x02, 0x00, 0x00, 0x12, 0xc0];
    prefix.extend(w.a.ssrc.to_be_bytes());
    prefix.extend([0xc1, 0xc1, 0xc1, 0xc1, 0xc2, 0xc2, 0xc2, 0xc2, 0xbe, 0xde, 0x00, 0x02]);
    let plaintext = [0x10, 0x7f, 0x22, 0xaa, 0xbb, 0x00, 0x00, 0x00, 0xf8, 0xff, 0xfe];
    let packet = w.a.seal(&prefix, &plaintext);
    let out = w.send(w.a.addr, &packet);
    assert_eq!(out.len(), 2);
    for (t, receiver) in [(&out[0], &w.b), (&out[1], &w.c)] {
        assert_eq!(&t.data[..24], prefix.as_slice());
        let header = parse_rtp(&t.data).unwrap();
        assert_eq!((header.prefix_len, header.extension_len, header.ssrc), (24, 8, w.a.ssrc));
        let (counter, opened) = receiver.open(&t.data).unwrap();
        assert_eq!((counter, opened.as_slice()), (FIRST_TX_COUNTER, &plaintext[..]));
        assert_eq!(header.payload(&opened), Some(&[0xf8, 0xff, 0xfe][..]));
    }
}

#[test]
fn address_moves_only_with_a_fresh_authenticated_packet() {
    let mut w = World::new();
    let first = w.a.packet(b"1");
    let second = w.a.packet(b"2");
    let rebound: SocketAddr = "198.51.100.1:61000".parse().unwrap();
    assert_eq!(w.send(rebound, &second).len(), 2);
    assert_eq!(w.sfu.address(w.a.ssrc), Some(rebound));
    // Now B's audio goes to A's new port.
    let packet = w.b.packet(b"b");
    assert_eq!(w.send(w.b.addr, &packet)[0].to, rebound);

    // A replayed packet, from elsewhere or not, is dropped and moves nothing; a packet that
    // arrives late (reordered) but was never seen is still forwarded.
    let attacker: SocketAddr = "192.0.2.66:666".parse().unwrap();
    assert!(w.send(attacker, &second).is_empty());
    assert!(w.send(rebound, &second).is_empty());
    assert_eq!(w.send(attacker, &first).len(), 2);
    assert!(w.send(attacker, &first).is_empty());
    assert_eq!(w.sfu.stats().dropped_replayed, 3);
    assert_eq!(w.sfu.address(w.a.ssrc), Some(rebound));
    // A forged packet from elsewhere moves nothing either.
    let mut forged = w.a.packet(b"3");
    forged[12] ^= 0xff;
    assert!(w.send(attacker, &forged).is_empty());
    assert_eq!(w.sfu.address(w.a.ssrc), Some(rebound));

    // songbird's SSRC keepalive: a new port on the same IP is believed, another IP is not.
    let b_rebound: SocketAddr = "198.51.100.2:61002".parse().unwrap();
    w.send(b_rebound, &w.b.ssrc.to_be_bytes());
    assert_eq!(w.sfu.address(w.b.ssrc), Some(b_rebound));
    w.send(attacker, &w.b.ssrc.to_be_bytes());
    assert_eq!(w.sfu.address(w.b.ssrc), Some(b_rebound));
    assert_eq!(w.sfu.stats().address_changes, 3 + 2);
}

#[test]
fn stats_start_at_zero() {
    assert_eq!(Sfu::new().stats(), SfuStats::default());
    assert!(Sfu::new().is_empty());
}
