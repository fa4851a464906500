//! The connection driven like a driver would, with made-up instants: handshakes (v8, v4),
//! message formats and the byte budget; close codes in `close`, buffering and RESUME in `resume`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

mod close;
mod resume;

const INTERVAL: Duration = Duration::from_millis(13_750);
const KEY: [u8; 32] = [255; 32];
/// discord.js 0.19 / discord.py 2.7 IDENTIFY (string ids, DAVE version 1, compact JSON).
const IDENTIFY: &str = r#"{"op":0,"d":{"server_id":"1000000000000000001","user_id":"2000000000000000001","session_id":"0123456789abcdef0123456789abcdef","token":"tok","max_dave_protocol_version":1}}"#;
const SELECT_AES: &str =
    r#"{"op":1,"d":{"protocol":"udp","data":{"address":"127.0.0.1","port":54321,"mode":"aead_aes256_gcm_rtpsize"}}}"#;

fn start(version: Version) -> (Connection, Instant) {
    let now = Instant::now();
    let mut c = Connection::new(now, version, INTERVAL);
    let hello = format!(r#"{{"op":8,"d":{{"heartbeat_interval":13750,"v":{}}}}}"#, version.number());
    assert_eq!(sent(&mut c), [hello]);
    (c, now)
}

fn drain(c: &mut Connection) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

/// Every output, which must all be frames to send.
fn sent(c: &mut Connection) -> Vec<String> {
    drain(c)
        .into_iter()
        .map(|o| match o {
            Output::Send(frame) => frame,
            other => panic!("expected a frame, got {other:?}"),
        })
        .collect()
}

/// The connection closed with `code` and nothing follows.
fn assert_closed(c: &mut Connection, code: CloseCode) {
    match drain(c).pop() {
        Some(Output::Close(got)) => assert_eq!(got, code),
        other => panic!("expected close {code:?}, got {other:?}"),
    }
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
    c.handle_text(Instant::now(), br#"{"op":3,"d":1}"#);
    c.speaking(1, 1, 1);
    assert!(drain(c).is_empty(), "output after close");
}

/// A v8 connection through READY (seq 1) and SESSION_DESCRIPTION (seq 2).
fn established(version: Version) -> (Connection, Instant) {
    let (mut c, now) = start(version);
    c.handle_text(now, IDENTIFY.as_bytes());
    assert!(matches!(drain(&mut c)[..], [Output::Identify(_)]));
    c.ready(1001, "127.0.0.1", 50_000, &Mode::ALL);
    c.handle_text(now, SELECT_AES.as_bytes());
    assert!(matches!(drain(&mut c)[..], [Output::Send(_), Output::SelectProtocol { .. }]));
    c.session_description(Mode::Aes256GcmRtpsize, &KEY);
    assert_eq!(sent(&mut c).len(), 1);
    (c, now)
}

fn key_json() -> String {
    format!("[{}]", vec!["255"; 32].join(","))
}

#[test]
fn full_v8_handshake() {
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, IDENTIFY.as_bytes());
    let [Output::Identify(identify)] = &drain(&mut c)[..] else { panic!("no identify") };
    assert_eq!(identify.server_id.get(), 1_000_000_000_000_000_001);
    assert_eq!(identify.user_id.get(), 2_000_000_000_000_000_001);
    assert_eq!(identify.session_id, "0123456789abcdef0123456789abcdef");
    assert_eq!(identify.token, "tok");
    assert_eq!(identify.max_dave_protocol_version, 1);
    assert!(!c.is_established());

    c.ready(1001, "127.0.0.1", 50_000, &Mode::ALL);
    assert_eq!(
        sent(&mut c),
        [
            r#"{"op":2,"d":{"ssrc":1001,"ip":"127.0.0.1","port":50000,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":13750},"seq":1}"#
        ]
    );
    assert!(c.is_established());

    c.handle_text(now, SELECT_AES.as_bytes());
    assert_eq!(
        drain(&mut c),
        [Output::SelectProtocol { mode: Mode::Aes256GcmRtpsize, address: "127.0.0.1".into(), port: 54321 }]
    );
    c.session_description(Mode::Aes256GcmRtpsize, &KEY);
    assert_eq!(
        sent(&mut c),
        [format!(
            r#"{{"op":4,"d":{{"mode":"aead_aes256_gcm_rtpsize","secret_key":{},"dave_protocol_version":0}},"seq":2}}"#,
            key_json()
        )]
    );

    // discord.py registers its SSRC with speaking 0 right after.
    c.handle_text(now, br#"{"op":5,"d":{"speaking":0,"delay":0,"ssrc":1001}}"#);
    assert_eq!(drain(&mut c), [Output::Speaking { speaking: 0, ssrc: 1001 }]);
}

#[test]
fn v4_handshake_has_no_seq_anywhere() {
    // songbird: IDENTIFY first (HELLO already queued), numeric ids, no DAVE key.
    let (mut c, now) = start(Version::V4);
    c.handle_text(
        now,
        br#"{"op":0,"d":{"server_id":1000000000000000001,"session_id":"s","token":"t","user_id":2000000000000000001}}"#,
    );
    let [Output::Identify(identify)] = &drain(&mut c)[..] else { panic!("no identify") };
    assert_eq!(identify.max_dave_protocol_version, 0);
    c.ready(7, "127.0.0.1", 50_000, &[Mode::XChaCha20Poly1305Rtpsize]);
    assert_eq!(
        sent(&mut c),
        [
            r#"{"op":2,"d":{"ssrc":7,"ip":"127.0.0.1","port":50000,"modes":["aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":13750}}"#
        ]
    );
    c.handle_text(now, br#"{"op":3,"d":1234567890123}"#);
    assert_eq!(sent(&mut c), [r#"{"op":6,"d":1234567890123}"#]);
    c.handle_text(
        now,
        br#"{"op":1,"d":{"protocol":"udp","data":{"address":"10.0.0.1","mode":"aead_xchacha20_poly1305_rtpsize","port":1}}}"#,
    );
    assert!(matches!(&drain(&mut c)[..], [Output::SelectProtocol { mode: Mode::XChaCha20Poly1305Rtpsize, .. }]));
    c.session_description(Mode::XChaCha20Poly1305Rtpsize, &KEY);
    c.speaking(5, 9, 1);
    c.clients_connect(&[5]);
    c.client_disconnect(5);
    let frames = sent(&mut c);
    assert_eq!(frames.len(), 4);
    assert!(frames.iter().all(|f| f.starts_with(r#"{"op":"#) && !f.contains("seq")), "{frames:?}");
    assert_eq!(frames[1], r#"{"op":5,"d":{"user_id":"5","ssrc":9,"speaking":1}}"#);
}

#[test]
fn heartbeat_acks_echo_the_nonce_in_the_versions_format() {
    let cases: &[(Version, &str, &str)] = &[
        (Version::V8, r#"{"op":3,"d":{"t":1700000000000,"seq_ack":-1}}"#, r#"{"op":6,"d":{"t":1700000000000}}"#),
        (
            Version::V8,
            r#"{"op":3,"d":{"t":9007199254740991,"seq_ack":null}}"#,
            r#"{"op":6,"d":{"t":9007199254740991}}"#,
        ),
        (Version::V8, r#"{"op":3,"d":{"t":5}}"#, r#"{"op":6,"d":{"t":5}}"#),
        (
            Version::V8,
            r#"{"op":3,"d":{"t":18446744073709551615,"seq_ack":3}}"#,
            r#"{"op":6,"d":{"t":18446744073709551615}}"#,
        ),
        // A client that sends the pre-v8 form on v8 still gets the v8 form back.
        (Version::V8, r#"{"op":3,"d":42}"#, r#"{"op":6,"d":{"t":42}}"#),
        (Version::V4, r#"{"op":3,"d":9007199254740991}"#, r#"{"op":6,"d":9007199254740991}"#),
        (Version::V5, r#"{"op":3,"d":1}"#, r#"{"op":6,"d":1}"#),
        (Version::V7, r#"{"op":3,"d":"n"}"#, r#"{"op":6,"d":"n"}"#),
    ];
    for &(version, heartbeat, ack) in cases {
        // Heartbeats are answered before IDENTIFY too.
        let (mut c, now) = start(version);
        c.handle_text(now, heartbeat.as_bytes());
        assert_eq!(sent(&mut c), [ack], "{version:?} {heartbeat}");
    }
}

#[test]
fn client_payloads_are_read_leniently() {
    let (mut c, now) = established(Version::V8);
    for (frame, speaking) in [
        (r#"{"op":5,"d":{"speaking":true,"delay":0,"ssrc":1001}}"#, 1),
        (r#"{"op":5,"d":{"speaking":false,"ssrc":1001,"user_id":null}}"#, 0),
        (r#"{"op":5,"d":{"speaking":5,"delay":0,"ssrc":1001},"seq":4}"#, 5),
    ] {
        c.handle_text(now, frame.as_bytes());
        assert_eq!(drain(&mut c), [Output::Speaking { speaking, ssrc: 1001 }], "{frame}");
    }
    // Ignored opcodes and DAVE binary frames: no answer, no close.
    for frame in
        [&br#"{"op":12,"d":{"audio_ssrc":1,"video_ssrc":0}}"#[..], br#"{"op":31,"d":{}}"#, b"\x1a\x00\x01", b"\x1c"]
    {
        c.handle_text(now, frame);
    }
    assert!(drain(&mut c).is_empty());
    // op 12 with streams: the camera / screen state.
    c.handle_text(now, br#"{"op":12,"d":{"audio_ssrc":1,"video_ssrc":0,"streams":[{"type":"video","rid":"h","active":true},{"type":"screen","active":false}]}}"#);
    assert_eq!(drain(&mut c), [Output::Video { camera: true, screen: false }]);
    c.handle_text(now, br#"{"op":12,"d":{"streams":[]}}"#);
    assert_eq!(drain(&mut c), [Output::Video { camera: false, screen: false }]);

    // IDENTIFY with number ids, unknown keys and a silly DAVE version.
    let (mut c, now) = start(Version::V8);
    c.handle_text(
        now,
        br#"{"op":0,"d":{"server_id":1,"user_id":"2","session_id":"s","token":"t","video":true,"streams":[{"type":"video"}],"max_dave_protocol_version":"1"}}"#,
    );
    let [Output::Identify(identify)] = &drain(&mut c)[..] else { panic!("no identify") };
    assert_eq!((identify.server_id.get(), identify.user_id.get(), identify.max_dave_protocol_version), (1, 2, 0));
    // A binary DAVE frame before IDENTIFY is not an "op before identify".
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, b"\x1a\x00");
    assert!(drain(&mut c).is_empty());
}

#[test]
fn relayed_messages_formats() {
    let (mut c, _) = established(Version::V8);
    c.speaking(2_000_000_000_000_000_002, 1002, 1);
    c.clients_connect(&[2_000_000_000_000_000_002, 3]);
    c.client_disconnect(3);
    assert_eq!(
        sent(&mut c),
        [
            r#"{"op":5,"d":{"user_id":"2000000000000000002","ssrc":1002,"speaking":1},"seq":3}"#,
            r#"{"op":11,"d":{"user_ids":["2000000000000000002","3"]},"seq":4}"#,
            r#"{"op":13,"d":{"user_id":"3"},"seq":5}"#,
        ]
    );
}

#[test]
fn nothing_is_relayed_before_ready() {
    let (mut c, now) = start(Version::V8);
    c.speaking(2, 2, 1);
    c.session_description(Mode::Aes256GcmRtpsize, &KEY);
    c.handle_text(now, IDENTIFY.as_bytes());
    c.clients_connect(&[2]);
    assert!(matches!(drain(&mut c)[..], [Output::Identify(_)]));
    c.ready(1, "127.0.0.1", 1, &Mode::ALL);
    assert!(sent(&mut c)[0].ends_with(r#""seq":1}"#));
}

/// Issue 5: voice WS bytes both ways until SESSION_DESCRIPTION stay under 1.2 KB, for a
/// discord.js/discord.py v8 client (the bigger of the two formats) with a worst-case key.
#[test]
fn handshake_is_under_1200_bytes() {
    let identify = r#"{"op":0,"d":{"server_id":"1000000000000000001","user_id":"2000000000000000001","session_id":"0123456789abcdef0123456789abcdef","token":"0123456789abcdef0123456789abcdef0123456789a","max_dave_protocol_version":1}}"#;
    let heartbeat = r#"{"op":3,"d":{"t":1700000000000,"seq_ack":-1}}"#;
    let now = Instant::now();
    let mut c = Connection::new(now, Version::V8, INTERVAL);
    let mut bytes = identify.len() + heartbeat.len() + SELECT_AES.len();
    c.handle_text(now, identify.as_bytes());
    c.handle_text(now, heartbeat.as_bytes());
    c.ready(4_294_967_295, "255.255.255.255", 65_535, &Mode::ALL);
    c.handle_text(now, SELECT_AES.as_bytes());
    c.session_description(Mode::XChaCha20Poly1305Rtpsize, &KEY);
    let mut frames = 0;
    for output in drain(&mut c) {
        if let Output::Send(frame) = output {
            bytes += frame.len();
            frames += 1;
        }
    }
    assert_eq!(frames, 4, "HELLO, ACK, READY, SESSION_DESCRIPTION");
    println!("voice handshake: {bytes} bytes");
    assert!(bytes < 1200, "voice handshake is {bytes} bytes");
}

#[test]
fn versions_from_the_query() {
    assert_eq!(Version::from_query(Some("8")), Some(Version::V8));
    assert_eq!(Version::from_query(Some("4")), Some(Version::V4));
    assert_eq!(Version::from_query(Some("6")), Some(Version::V6));
    for bad in [None, Some("3"), Some("0"), Some("9"), Some(""), Some("v8"), Some("-8"), Some("8.0")] {
        assert_eq!(Version::from_query(bad), None, "{bad:?}");
    }
    assert!(Version::V8.sequenced() && !Version::V7.sequenced());
}

#[test]
fn close_codes_and_reasons() {
    assert_eq!(CloseCode::UnknownOpcode.code(), 4001);
    assert_eq!(CloseCode::SessionTimeout.code(), 4009);
    assert_eq!(CloseCode::CallTerminated.code(), 4022);
    assert_eq!(CloseCode::UnknownEncryptionMode.reason(), "Unknown encryption mode");
}

#[test]
fn debug_hides_tokens_and_keys() {
    let (mut c, now) = established(Version::V8);
    let outbox = c.take_outbox();
    assert!(!format!("{outbox:?}").contains("255,255"));
    let (mut c, _) = start(Version::V8);
    c.handle_text(now, br#"{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"s","token":"SECRET"}}"#);
    let out = drain(&mut c);
    assert!(!format!("{out:?}").contains("SECRET"));
}
