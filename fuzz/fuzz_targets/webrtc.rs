//! What a browser sends the voice server over WebRTC: its SDP offer (str0m's parser and our
//! m-line reading, through `Sfu::accept_offer`) and then datagrams on the media socket — STUN
//! checks that name the connection's ufrag (so they reach str0m) and anything else. Nothing may
//! panic, and datagrams from strangers never reach a peer connection.
//!
//! Input: `[u16 BE offer length][offer bytes][records: u8 kind, u8 len, len bytes]`. An offer
//! that does not parse is replaced by a real Chromium offer, so the datagram half always runs
//! against a live connection. Record kinds: even = a STUN binding request whose USERNAME is
//! `<our ufrag>:<bytes>`; odd = the raw bytes; from one of two addresses (the kind's bit 1).
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use guildhall_voice_proto::sfu::{Batch, Sfu};
use libfuzzer_sys::fuzz_target;

const CHROMIUM_OFFER: &str = include_str!("../../crates/voice-proto/tests/data/chromium-offer.sdp");

fn stun(username: &[u8]) -> Vec<u8> {
    let mut attr = vec![0x00, 0x06];
    attr.extend_from_slice(&(username.len() as u16).to_be_bytes());
    attr.extend_from_slice(username);
    attr.resize(attr.len().div_ceil(4) * 4, 0);
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&(attr.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
    m.extend_from_slice(&[9; 12]);
    m.extend_from_slice(&attr);
    m
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut sfu = Sfu::new();
    sfu.set_local("127.0.0.1:50000".parse().unwrap());
    sfu.add(7, 1, 70);
    sfu.add(8, 1, 80);
    let (offer, rest) = match data {
        [a, b, rest @ ..] => {
            let len = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
            (String::from_utf8_lossy(&rest[..len]).into_owned(), &rest[len..])
        }
        _ => (String::new(), data),
    };
    let answer = match sfu.accept_offer(now, 7, &offer) {
        Ok(answer) => answer,
        Err(_) => sfu.accept_offer(now, 7, CHROMIUM_OFFER).expect("Chromium's offer is answered"),
    };
    let ufrag = answer
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("the answer has a ufrag")
        .trim()
        .to_owned();
    let addrs: [SocketAddr; 2] = ["127.0.0.1:40000".parse().unwrap(), "[::1]:40001".parse().unwrap()];
    let mut out = Batch::new();
    let mut t = now;
    let mut rest = rest;
    while let [kind, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        let from = addrs[usize::from(kind >> 1 & 1)];
        let datagram = if kind % 2 == 0 {
            let mut username = ufrag.as_bytes().to_vec();
            username.push(b':');
            username.extend_from_slice(bytes);
            stun(&username)
        } else {
            bytes.to_vec()
        };
        sfu.handle_batch(t, from, &datagram, &mut out);
        sfu.flush(t, &mut out);
        t += Duration::from_millis(u64::from(*kind));
        if sfu.poll_timeout().is_some_and(|at| at <= t) {
            sfu.handle_timeout(t, &mut out);
        }
        for (to, _) in out.iter() {
            assert!(addrs.contains(&to), "datagrams only go back to where checks came from: {to}");
        }
        out.clear();
    }
    while sfu.poll_event().is_some() {}
});
