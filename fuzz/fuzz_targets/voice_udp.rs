//! Everything the voice UDP port reads from a client: the demultiplexer, the RTP/RTCP/discovery
//! parsers, and the SFU fed a sequence of datagrams and control calls with three participants
//! (two AES-GCM, one XChaCha). Nothing may panic; parsed lengths stay inside the datagram; a
//! forwarded packet keeps its sender's prefix and opens with some other participant's key.
//!
//! Input: records `[op][len][len bytes]`. op % 6: 0 a raw datagram from one of four addresses
//! (the first byte picks it); 1 the bytes as prefix ‖ plaintext sealed with a participant's real
//! key (so the fuzzer reaches the forwarding path it could never forge a tag for); 2 mute/deafen;
//! 3 room move; 4 remove and re-add; 5 a new key in the other mode. Every payload also goes
//! through the stand-alone parsers.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use guildhall_voice_proto::crypto::{Cipher, Mode, OVERHEAD};
use guildhall_voice_proto::discovery;
use guildhall_voice_proto::rtp::{self, Kind};
use guildhall_voice_proto::sfu::{Sfu, Transmit};
use libfuzzer_sys::fuzz_target;

const SSRCS: [u32; 3] = [1, 2, 3];
const ADDRS: [&str; 4] = ["192.0.2.1:1001", "192.0.2.2:1002", "[2001:db8::3]:1003", "192.0.2.1:2001"];

fn key(ssrc: u32, generation: u8) -> [u8; 32] {
    [ssrc as u8 ^ generation.wrapping_mul(0x40); 32]
}

fn mode(ssrc: u32, flipped: bool) -> Mode {
    let base = if ssrc == 2 { Mode::XChaCha20Poly1305Rtpsize } else { Mode::Aes256GcmRtpsize };
    match (base, flipped) {
        (m, false) => m,
        (Mode::Aes256GcmRtpsize, true) => Mode::XChaCha20Poly1305Rtpsize,
        (Mode::XChaCha20Poly1305Rtpsize, true) => Mode::Aes256GcmRtpsize,
    }
}

fuzz_target!(|data: &[u8]| {
    let addrs: Vec<SocketAddr> = ADDRS.iter().map(|a| a.parse().unwrap()).collect();
    let mut now = Instant::now();
    let mut sfu = Sfu::new();
    // (generation, flipped mode) of each participant's current key.
    let mut keys = [(0u8, false); 3];
    let mut out = Vec::new();
    for (i, &ssrc) in SSRCS.iter().enumerate() {
        sfu.add(ssrc, 1, u64::from(ssrc) * 10);
        sfu.set_cipher(ssrc, Cipher::new(mode(ssrc, false), &key(ssrc, 0)));
        sfu.handle(now, addrs[i], &discovery::request(ssrc), &mut out);
    }
    assert_eq!(out.len(), 3);

    let mut rest = data;
    let mut counter = 0u32;
    while let [op, len, tail @ ..] = rest {
        let (payload, next) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = next;
        now += Duration::from_millis(20);
        parsers(payload);
        let pick = payload.first().copied().unwrap_or(0);
        let which = usize::from(pick) % 3;
        let ssrc = SSRCS[which];
        out.clear();
        match op % 6 {
            0 => {
                sfu.handle(now, addrs[usize::from(pick) % 4], payload, &mut out);
                // Only discovery answers can come from bytes nobody sealed.
                for t in &out {
                    assert_eq!(t.data.len(), discovery::PACKET_LEN);
                }
            }
            1 => {
                let Some(packet) = sealed(payload, ssrc, keys[which], counter) else { continue };
                counter = counter.wrapping_add(1);
                sfu.handle(now, addrs[which], &packet, &mut out);
                check_forwarded(&packet, ssrc, &keys, &out);
            }
            2 => sfu.set_flags(ssrc, pick & 0x10 != 0, pick & 0x20 != 0),
            3 => sfu.set_room(ssrc, u64::from(pick >> 6)),
            4 => {
                sfu.remove(ssrc);
                sfu.add(ssrc, u64::from(pick >> 6), 0);
                sfu.set_cipher(ssrc, Cipher::new(mode(ssrc, keys[which].1), &key(ssrc, keys[which].0)));
            }
            _ => {
                keys[which] = (keys[which].0.wrapping_add(1), !keys[which].1);
                sfu.set_cipher(ssrc, Cipher::new(mode(ssrc, keys[which].1), &key(ssrc, keys[which].0)));
            }
        }
    }
    let stats = sfu.stats();
    assert!(stats.received >= stats.discovery + stats.keepalives + stats.rtcp + stats.rtp);
});

/// The stand-alone parsers: no panics, and what they report fits the input.
fn parsers(data: &[u8]) {
    let kind = rtp::classify(data);
    if let Ok(header) = rtp::parse_rtp(data) {
        let expected = 12 + 4 * usize::from(header.csrc_count) + if header.has_extension { 4 } else { 0 };
        assert_eq!(header.prefix_len, expected);
        assert!(header.prefix_len + header.extension_len + OVERHEAD <= data.len());
        assert_eq!(kind, Kind::Rtp);
        let _ = header.payload(&data[header.prefix_len..]);
    }
    if rtp::parse_rtcp(data).is_ok() {
        assert!(data.len() <= rtp::MAX_KEEPALIVE_LEN || kind == Kind::Rtcp);
    }
    if let Some(ssrc) = discovery::parse_request(data) {
        assert_eq!(kind, Kind::Discovery);
        assert_eq!(&discovery::request(ssrc)[..8], &data[..8]);
    }
    if let Some((ssrc, addr)) = discovery::parse_response(data) {
        let canonical = SocketAddr::new(addr.ip().to_canonical(), addr.port());
        assert_eq!(discovery::parse_response(&discovery::response(ssrc, addr)), Some((ssrc, canonical)));
    }
}

/// `payload` turned into a packet the SFU will accept from `ssrc`: its bytes as RTP header (SSRC
/// overwritten, version forced to 2, payload type kept out of RTCP's range) and plaintext.
fn sealed(payload: &[u8], ssrc: u32, (generation, flipped): (u8, bool), counter: u32) -> Option<Vec<u8>> {
    let mut bytes = payload.get(1..)?.to_vec();
    if bytes.len() < 12 {
        return None;
    }
    bytes[0] = 0x80 | (bytes[0] & 0x3f);
    bytes[1] &= 0x7f;
    bytes[8..12].copy_from_slice(&ssrc.to_be_bytes());
    let mut padded = bytes.clone();
    padded.extend([0; OVERHEAD]);
    let header = rtp::parse_rtp(&padded).ok()?;
    let (prefix, plaintext) = bytes.split_at(header.prefix_len);
    let mut packet = Vec::new();
    Cipher::new(mode(ssrc, flipped), &key(ssrc, generation)).seal(prefix, plaintext, counter, &mut packet).ok()?;
    Some(packet)
}

/// Every forwarded packet keeps the sender's prefix and opens with another participant's key.
fn check_forwarded(packet: &[u8], sender: u32, keys: &[(u8, bool); 3], out: &[Transmit]) {
    let Ok(header) = rtp::parse_rtp(packet) else { return };
    let mut plaintext = Vec::new();
    let sender_cipher =
        Cipher::new(mode(sender, keys[(sender - 1) as usize].1), &key(sender, keys[(sender - 1) as usize].0));
    if sender_cipher.open(packet, header.prefix_len, &mut plaintext).is_err() {
        return;
    }
    for t in out {
        assert_eq!(&t.data[..header.prefix_len], &packet[..header.prefix_len]);
        let opened = SSRCS.iter().filter(|&&s| s != sender).any(|&s| {
            let (generation, flipped) = keys[(s - 1) as usize];
            let mut got = Vec::new();
            Cipher::new(mode(s, flipped), &key(s, generation)).open(&t.data, header.prefix_len, &mut got).is_ok()
                && got == plaintext
        });
        assert!(opened, "forwarded packet opens with no receiver's key");
    }
}
