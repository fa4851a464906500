//! The SFU's WebRTC side against real str0m peers acting as browsers (full ICE, DTLS, SRTP, in
//! RTP mode), and the bridge to native Discord-protocol participants: everything in memory,
//! datagrams carried between the peers and the SFU by the test, time simulated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::discovery;
use guildhall_voice_proto::rtp;
use guildhall_voice_proto::sfu::{Batch, Sfu, SfuEvent};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid, Rid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpPacket, RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc};

const SERVER: &str = "127.0.0.1:50000";
const ROOM: u64 = 42;

/// A browser as the web client sets one up: microphone, camera, screen, then receive slots.
struct Browser {
    rtc: Rtc,
    addr: SocketAddr,
    mic: Mid,
    camera: Mid,
    slots: Vec<Mid>,
    connected: bool,
    received: Vec<(Mid, RtpPacket)>,
    keyframe_requests: Vec<(Mid, Option<Rid>)>,
}

impl Browser {
    fn new(now: Instant, port: u16, audio_slots: usize, video_slots: usize) -> (Browser, String, SdpPendingOffer) {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut rtc =
            Rtc::builder().set_rtp_mode(true).clear_codecs().enable_opus(true, false).enable_vp8(true).build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap()).unwrap();
        let mut api = rtc.sdp_api();
        let mic = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        // The camera in two simulcast layers, as the web client sends it (l and h).
        let mut layers = Simulcast::new();
        layers.send = vec![SimulcastLayer::new("l"), SimulcastLayer::new("h")];
        let camera = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, Some(layers));
        api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let mut slots = Vec::new();
        for _ in 0..audio_slots {
            slots.push(api.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None));
        }
        for _ in 0..video_slots {
            slots.push(api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None));
        }
        let (offer, pending) = api.apply().unwrap();
        let browser = Browser {
            rtc,
            addr,
            mic,
            camera,
            slots,
            connected: false,
            received: Vec::new(),
            keyframe_requests: Vec::new(),
        };
        (browser, offer.to_sdp_string(), pending)
    }

    fn accept(&mut self, pending: SdpPendingOffer, answer: &str) {
        self.rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(answer).unwrap()).unwrap();
    }

    /// Drains str0m: datagrams for the SFU go to `to_sfu`.
    fn drain(&mut self, to_sfu: &mut Vec<(SocketAddr, Vec<u8>)>) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(_) => return,
                Output::Transmit(t) => to_sfu.push((t.source, t.contents.to_vec())),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::KeyframeRequest(r)) => self.keyframe_requests.push((r.mid, r.rid)),
                Output::Event(Event::RtpPacket(p)) => {
                    let mid = self.rtc.direct_api().stream_rx(&p.header.ssrc).map(|s| s.mid()).unwrap();
                    self.received.push((mid, p));
                }
                Output::Event(_) => {}
            }
        }
    }

    /// One VP8 packet on camera layer `rid`: a keyframe start or an interframe, tagged with the
    /// layer's first letter so the receiver can tell which layer reached it.
    fn send_camera(&mut self, now: Instant, rid: &str, seq: u64, key: bool) {
        let pt =
            self.rtc.codec_config().params().iter().find(|p| p.spec().codec == str0m::format::Codec::Vp8).unwrap().pt();
        let payload = [0x10, if key { 0x00 } else { 0x01 }, rid.as_bytes()[0], seq as u8];
        let mut api = self.rtc.direct_api();
        let stream = api.stream_tx_by_mid(self.camera, Some(Rid::from(rid))).unwrap();
        stream.write_rtp(
            RtpWrite::new(pt, SeqNo::from(seq), (seq * 3000) as u32, now, Arc::<[u8]>::from(&payload[..])).marker(true),
        );
    }

    fn send_audio(&mut self, now: Instant, seq: u64, payload: &[u8]) {
        let pt = self
            .rtc
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == str0m::format::Codec::Opus)
            .unwrap()
            .pt();
        let mut api = self.rtc.direct_api();
        let stream = api.stream_tx_by_mid(self.mic, None).unwrap();
        stream.write_rtp(RtpWrite::new(pt, SeqNo::from(seq), (seq * 960) as u32, now, Arc::<[u8]>::from(payload)));
    }
}

/// A native Discord-protocol participant: address, key, packets it got.
struct Native {
    addr: SocketAddr,
    ssrc: u32,
    cipher: Cipher,
    received: Vec<(rtp::RtpHeader, Vec<u8>)>,
}

struct World {
    now: Instant,
    sfu: Sfu,
    server: SocketAddr,
    browsers: Vec<Browser>,
    natives: Vec<Native>,
    events: Vec<SfuEvent>,
}

impl World {
    fn new() -> World {
        let mut sfu = Sfu::new();
        let server: SocketAddr = SERVER.parse().unwrap();
        sfu.set_local(server);
        World { now: Instant::now(), sfu, server, browsers: Vec::new(), natives: Vec::new(), events: Vec::new() }
    }

    fn add_browser(&mut self, ssrc: u32, audio_slots: usize, video_slots: usize) -> usize {
        self.sfu.add(ssrc, ROOM, u64::from(ssrc) * 10);
        let port = 40_000 + self.browsers.len() as u16;
        let (mut browser, offer, pending) = Browser::new(self.now, port, audio_slots, video_slots);
        let answer = self.sfu.accept_offer(self.now, ssrc, &offer).expect("offer answered");
        assert!(answer.contains("a=ice-lite"), "the SFU is ICE-lite");
        assert!(answer.contains(&format!("{} typ host", self.server.port())), "host candidate on the SFU socket");
        browser.accept(pending, &answer);
        self.browsers.push(browser);
        self.browsers.len() - 1
    }

    fn add_native(&mut self, ssrc: u32) -> usize {
        let addr: SocketAddr = format!("127.0.0.1:{}", 30_000 + self.natives.len()).parse().unwrap();
        self.sfu.add(ssrc, ROOM, u64::from(ssrc) * 10);
        let cipher = Cipher::new(Mode::Aes256GcmRtpsize, &[ssrc as u8; 32]);
        self.sfu.set_cipher(ssrc, Cipher::new(Mode::Aes256GcmRtpsize, &[ssrc as u8; 32]));
        let mut out = Batch::new();
        self.sfu.handle_batch(self.now, addr, &discovery::request(ssrc), &mut out);
        assert_eq!(out.len(), 1, "discovery answered");
        self.natives.push(Native { addr, ssrc, cipher, received: Vec::new() });
        self.natives.len() - 1
    }

    /// Moves every pending datagram and advances time by `step`, `rounds` times.
    fn run(&mut self, rounds: usize, step: Duration) {
        for _ in 0..rounds {
            let mut to_sfu = Vec::new();
            for b in &mut self.browsers {
                b.rtc.handle_input(Input::Timeout(self.now)).unwrap();
                b.drain(&mut to_sfu);
            }
            let mut out = Batch::new();
            for (from, data) in &to_sfu {
                self.sfu.handle_batch(self.now, *from, data, &mut out);
            }
            self.sfu.flush(self.now, &mut out);
            if self.sfu.poll_timeout().is_some_and(|t| t <= self.now) {
                self.sfu.handle_timeout(self.now, &mut out);
            }
            self.deliver(&out);
            while let Some(e) = self.sfu.poll_event() {
                self.events.push(e);
            }
            self.now += step;
        }
    }

    fn deliver(&mut self, out: &Batch) {
        for (to, data) in out.iter() {
            if let Some(b) = self.browsers.iter_mut().find(|b| b.addr == to) {
                let receive = Receive::new(Protocol::Udp, self.server, to, data).unwrap();
                b.rtc.handle_input(Input::Receive(self.now, receive)).unwrap();
                let mut to_sfu = Vec::new();
                b.drain(&mut to_sfu);
                let mut more = Batch::new();
                for (from, data) in &to_sfu {
                    self.sfu.handle_batch(self.now, *from, data, &mut more);
                }
                self.sfu.flush(self.now, &mut more);
                if !more.is_empty() {
                    self.deliver(&more);
                }
            } else if let Some(n) = self.natives.iter_mut().find(|n| n.addr == to) {
                let header = rtp::parse_rtp(data).unwrap();
                let mut plain = Vec::new();
                n.cipher.open(data, header.prefix_len, &mut plain).expect("sealed with the native's key");
                n.received.push((header, plain));
            } else {
                panic!("datagram to nobody: {to}");
            }
        }
    }

    fn connect(&mut self) {
        for _ in 0..200 {
            self.run(1, Duration::from_millis(10));
            if self.browsers.iter().all(|b| b.connected) {
                // A little longer for DTLS-SRTP keys on the SFU side.
                self.run(20, Duration::from_millis(10));
                return;
            }
        }
        panic!("browsers did not connect");
    }

    fn slot_of(&self, to: u32, sender: u32) -> Option<Mid> {
        self.events.iter().rev().find_map(|e| match e {
            SfuEvent::Slots { to: t, ssrc, audio, .. } if *t == to && *ssrc == sender => {
                Some(audio.as_deref().map(Mid::from))
            }
            SfuEvent::Slots { .. } => None,
        })?
    }
}

fn native_packet(n: &Native, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 12];
    header[0] = 0x80;
    header[1] = 0x78;
    header[2..4].copy_from_slice(&seq.to_be_bytes());
    header[4..8].copy_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    header[8..12].copy_from_slice(&n.ssrc.to_be_bytes());
    let mut packet = Vec::new();
    n.cipher.seal(&header, payload, u32::from(seq), &mut packet).unwrap();
    packet
}

#[test]
fn browsers_and_natives_hear_each_other() {
    let mut w = World::new();
    let a = w.add_browser(1001, 4, 2);
    let b = w.add_browser(1002, 4, 2);
    let n = w.add_native(2001);
    w.connect();

    // Slots: each browser was told which of its mids carries the others' audio.
    let a_hears_b = w.slot_of(1001, 1002).expect("A has a slot for B");
    let a_hears_n = w.slot_of(1001, 2001).expect("A has a slot for the native");
    let b_hears_a = w.slot_of(1002, 1001).expect("B has a slot for A");
    assert_ne!(a_hears_b, a_hears_n);
    assert!(w.browsers[a].slots.contains(&a_hears_b));

    // Browser A speaks: B gets it on A's slot, the native gets it sealed under A's SSRC.
    for seq in 0..10u64 {
        let now = w.now;
        w.browsers[a].send_audio(now, seq, &[0xAA, seq as u8, 1, 2, 3]);
        w.run(1, Duration::from_millis(20));
    }
    let got: Vec<&RtpPacket> = w.browsers[b].received.iter().filter(|(m, _)| *m == b_hears_a).map(|(_, p)| p).collect();
    assert_eq!(got.len(), 10, "B received all of A's packets");
    assert!(got.iter().enumerate().all(|(i, p)| *p.payload == [0xAA, i as u8, 1, 2, 3]));
    let seqs: Vec<u16> = got.iter().map(|p| p.header.sequence_number).collect();
    assert!(seqs.windows(2).all(|s| s[1] == s[0].wrapping_add(1)), "contiguous: {seqs:?}");
    let native_got = &w.natives[n].received;
    assert_eq!(native_got.len(), 10, "the native received all of A's packets");
    assert!(
        native_got.iter().all(|(h, _)| h.ssrc == 1001 && h.payload_type == 0x78),
        "under A's READY SSRC, Discord's Opus PT"
    );
    assert_eq!(native_got[3].1, [0xAA, 3, 1, 2, 3], "the Opus payload unchanged");

    // The native speaks: both browsers get its payload on its slot.
    for seq in 0..5u16 {
        let packet = native_packet(&w.natives[n], seq, &[0xBB, seq as u8]);
        let mut out = Batch::new();
        let (now, from) = (w.now, w.natives[n].addr);
        w.sfu.handle_batch(now, from, &packet, &mut out);
        w.sfu.flush(now, &mut out);
        w.deliver(&out);
        w.run(1, Duration::from_millis(20));
    }
    let from_native = |b: &Browser, mid: Mid| b.received.iter().filter(|(m, _)| *m == mid).count();
    assert_eq!(from_native(&w.browsers[a], a_hears_n), 5);
    let b_hears_n = w.slot_of(1002, 2001).unwrap();
    assert_eq!(from_native(&w.browsers[b], b_hears_n), 5);

    // Server mute on A: nothing of A's reaches anyone; deafen B: B gets nothing.
    w.sfu.set_flags(1001, true, false);
    let before = (w.browsers[b].received.len(), w.natives[n].received.len());
    for seq in 10..15u64 {
        let now = w.now;
        w.browsers[a].send_audio(now, seq, &[0xAA]);
        w.run(1, Duration::from_millis(20));
    }
    assert_eq!((w.browsers[b].received.len(), w.natives[n].received.len()), before, "muted browser is not forwarded");
    assert!(w.sfu.stats().dropped_muted >= 5);
}

#[test]
fn slots_follow_membership_and_a_full_set_leaves_the_rest_out() {
    let mut w = World::new();
    let a = w.add_browser(1, 1, 0);
    w.add_native(2);
    w.add_native(3);
    w.connect();
    let only = w.browsers[a].slots.first().copied();
    assert!(only.is_some());
    assert_eq!(w.slot_of(1, 2), only, "the first to join gets the one audio slot");
    assert_eq!(w.slot_of(1, 3), None, "no slot left for the second");
    // The first native leaves: its slot goes to the second.
    w.sfu.remove(2);
    w.run(1, Duration::from_millis(10));
    assert_eq!(w.slot_of(1, 3), only);
    // A move out of the room frees it again.
    w.sfu.set_room(3, ROOM + 1);
    w.sfu.add(4, ROOM, 40);
    w.run(1, Duration::from_millis(10));
    assert_eq!(w.slot_of(1, 4), only);
    assert!(w.events.iter().all(|e| matches!(e, SfuEvent::Slots { to: 1, .. })), "only the browser is told");

    // Someone silent holds the only slot; another member starts speaking: it takes the slot,
    // and its packets reach the browser.
    w.add_native(5);
    w.run(1, Duration::from_millis(10));
    assert_eq!(w.slot_of(1, 4), only, "4 keeps the slot while nobody speaks");
    let packet = native_packet(&w.natives[2], 0, &[0xCC]);
    let mut out = Batch::new();
    let (now, from) = (w.now, w.natives[2].addr);
    w.sfu.handle_batch(now, from, &packet, &mut out);
    w.sfu.flush(now, &mut out);
    w.deliver(&out);
    w.run(2, Duration::from_millis(10));
    assert_eq!(w.slot_of(1, 5), only, "the speaker takes the slot");
    assert!(w.browsers[a].received.iter().any(|(m, p)| Some(*m) == only && *p.payload == [0xCC]));
}

#[test]
fn bad_offers_are_refused() {
    let mut sfu = Sfu::new();
    sfu.add(1, ROOM, 10);
    assert!(sfu.accept_offer(Instant::now(), 1, "v=0").is_err(), "no local address yet");
    sfu.set_local(SERVER.parse().unwrap());
    assert!(sfu.accept_offer(Instant::now(), 1, "not sdp").is_err());
    assert!(sfu.accept_offer(Instant::now(), 2, "v=0").is_err(), "unknown participant");
}

#[test]
fn a_real_chromium_offer_is_answered_with_opus_vp8_and_simulcast() {
    let offer = include_str!("data/chromium-offer.sdp");
    let mut sfu = Sfu::new();
    sfu.set_local(SERVER.parse().unwrap());
    sfu.add(1, ROOM, 10);
    let answer = sfu.accept_offer(Instant::now(), 1, offer).unwrap();
    let count = |sdp: &str, prefix: &str| sdp.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count(&answer, "m="), count(offer, "m="), "every m-line answered");
    assert!(answer.contains("a=ice-lite") && answer.contains("a=setup:passive"), "{answer}");
    assert!(answer.contains("opus/48000/2") && answer.contains("VP8/90000"));
    assert!(!answer.contains("H264") && !answer.contains("AV1"), "one video codec for forwarding");
    assert!(answer.contains("a=simulcast:recv"), "the camera's layers are accepted");
    assert!(answer.contains("a=candidate:") && answer.contains(" 50000 typ host"));
}

#[test]
fn camera_layers_wait_for_a_keyframe_and_one_layer_reaches_each_receiver() {
    let mut w = World::new();
    let a = w.add_browser(1, 2, 2);
    let b = w.add_browser(2, 2, 2);
    w.connect();
    w.sfu.set_video(1, true, false);
    w.run(1, Duration::from_millis(10));
    let slot = w
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            SfuEvent::Slots { to: 2, ssrc: 1, camera, .. } => Some(camera.clone()),
            _ => None,
        })
        .flatten()
        .map(|m| Mid::from(m.as_str()))
        .expect("B has a video slot for A's camera");
    let on_slot = |w: &World| -> Vec<Vec<u8>> {
        w.browsers[b].received.iter().filter(|(m, _)| *m == slot).map(|(_, p)| p.payload.to_vec()).collect()
    };
    // Interframes on both layers: nothing reaches B before a keyframe, and A is asked for one.
    for seq in 0..5 {
        let now = w.now;
        w.browsers[a].send_camera(now, "l", seq, false);
        w.browsers[a].send_camera(now, "h", 1000 + seq, false);
        w.run(1, Duration::from_millis(33));
    }
    assert!(on_slot(&w).is_empty(), "no video before a keyframe");
    let camera = w.browsers[a].camera;
    assert!(
        w.browsers[a].keyframe_requests.iter().any(|(m, rid)| *m == camera && rid.is_some()),
        "A was asked for a keyframe of a camera layer: {:?}",
        w.browsers[a].keyframe_requests
    );
    // A keyframe on each layer, then interframes: B gets exactly one layer, from its keyframe on.
    for seq in 5..15 {
        let now = w.now;
        w.browsers[a].send_camera(now, "l", seq, seq == 5);
        w.browsers[a].send_camera(now, "h", 1000 + seq, seq == 5);
        w.run(1, Duration::from_millis(33));
    }
    let got = on_slot(&w);
    assert_eq!(got.len(), 10, "one layer's ten packets: {got:?}");
    assert_eq!(got[0][1], 0x00, "starts at a keyframe");
    let layer = got[0][2];
    assert!(got.iter().all(|p| p[2] == layer), "never both layers");
    let seqs: Vec<u16> =
        w.browsers[b].received.iter().filter(|(m, _)| *m == slot).map(|(_, p)| p.header.sequence_number).collect();
    assert!(seqs.windows(2).all(|s| s[1] == s[0].wrapping_add(1)), "contiguous on the slot: {seqs:?}");
}
