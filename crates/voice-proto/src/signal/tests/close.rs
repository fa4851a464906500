//! Every close code the connection emits by itself, and the deadlines behind them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn missed_heartbeat_closes_4009() {
    let (mut c, now) = established(Version::V8);
    let due = c.poll_timeout().unwrap();
    assert_eq!(due, now + INTERVAL + HEARTBEAT_GRACE);
    c.handle_timeout(due - Duration::from_millis(1));
    assert!(drain(&mut c).is_empty());
    // A heartbeat moves the deadline.
    let later = now + Duration::from_secs(10);
    c.handle_text(later, br#"{"op":3,"d":{"t":1,"seq_ack":2}}"#);
    sent(&mut c);
    c.handle_timeout(due);
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.poll_timeout(), Some(later + INTERVAL + HEARTBEAT_GRACE));
    c.handle_timeout(later + INTERVAL + HEARTBEAT_GRACE);
    assert_closed(&mut c, CloseCode::SessionTimeout);
}

#[test]
fn no_identify_in_30_s_closes_4003() {
    let (mut c, now) = start(Version::V8);
    // Heartbeats keep the socket alive but do not authenticate it.
    let mut t = now;
    for _ in 0..3 {
        t += Duration::from_secs(10);
        c.handle_text(t, br#"{"op":3,"d":{"t":1}}"#);
        sent(&mut c);
    }
    assert_eq!(c.poll_timeout(), Some(now + IDENTIFY_TIMEOUT));
    c.handle_timeout(now + IDENTIFY_TIMEOUT - Duration::from_millis(1));
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(now + IDENTIFY_TIMEOUT);
    assert_closed(&mut c, CloseCode::NotAuthenticated);
}

#[test]
fn identify_deadline_stops_once_identified() {
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, IDENTIFY.as_bytes());
    drain(&mut c);
    assert_eq!(c.poll_timeout(), Some(now + INTERVAL + HEARTBEAT_GRACE));
    c.handle_timeout(now + IDENTIFY_TIMEOUT - Duration::from_secs(12));
    assert!(drain(&mut c).is_empty());
}

#[test]
fn ops_before_identify_close_4003() {
    for frame in [
        SELECT_AES,
        r#"{"op":5,"d":{"speaking":1,"delay":0,"ssrc":1}}"#,
        r#"{"op":12,"d":{"audio_ssrc":1,"video_ssrc":0}}"#,
        r#"{"op":23,"d":{"transition_id":1}}"#,
    ] {
        let (mut c, now) = start(Version::V8);
        c.handle_text(now, frame.as_bytes());
        assert_closed(&mut c, CloseCode::NotAuthenticated);
    }
    // Still not authenticated while the driver checks IDENTIFY.
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, IDENTIFY.as_bytes());
    c.handle_text(now, br#"{"op":5,"d":{"speaking":1,"ssrc":1}}"#);
    assert!(matches!(drain(&mut c)[..], [Output::Identify(_), Output::Close(CloseCode::NotAuthenticated)]));
}

#[test]
fn second_identify_or_resume_closes_4005() {
    let resume = r#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t","seq_ack":1}}"#;
    for (first, second, established) in
        [(IDENTIFY, IDENTIFY, false), (IDENTIFY, IDENTIFY, true), (IDENTIFY, resume, true), (resume, IDENTIFY, false)]
    {
        let (mut c, now) = start(Version::V8);
        c.handle_text(now, first.as_bytes());
        if established {
            c.ready(1, "127.0.0.1", 1, &Mode::ALL);
        }
        drain(&mut c);
        c.handle_text(now, second.as_bytes());
        assert_closed(&mut c, CloseCode::AlreadyAuthenticated);
    }
}

#[test]
fn undecodable_frames_close_4002() {
    let long = format!(r#"{{"op":3,"d":"{}"}}"#, "x".repeat(payload::MAX_FRAME));
    for frame in [
        &b"not json"[..],
        b"",
        b"\xff\xfe",
        b"[0,1]",
        br#"{"d":1}"#,
        br#"{"op":-1,"d":1}"#,
        br#"{"op":"0","d":{}}"#,
        br#"{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"s"}}"#,
        br#"{"op":0,"d":{"server_id":"0","user_id":"2","session_id":"s","token":"t"}}"#,
        br#"{"op":0,"d":{"server_id":"x","user_id":"2","session_id":"s","token":"t"}}"#,
        br#"{"op":7,"d":null}"#,
        long.as_bytes(),
    ] {
        let (mut c, now) = start(Version::V8);
        c.handle_text(now, frame);
        assert_closed(&mut c, CloseCode::DecodeError);
    }
    for frame in [
        r#"{"op":1,"d":{"protocol":"udp"}}"#,
        r#"{"op":1,"d":{"protocol":"udp","data":{"address":"1.2.3.4","port":70000,"mode":"aead_aes256_gcm_rtpsize"}}}"#,
        r#"{"op":5,"d":{"speaking":"1","ssrc":1}}"#,
        r#"{"op":5,"d":{"speaking":-1,"ssrc":1}}"#,
        r#"{"op":5,"d":{"speaking":1}}"#,
    ] {
        let (mut c, now) = established(Version::V8);
        c.handle_text(now, frame.as_bytes());
        assert_closed(&mut c, CloseCode::DecodeError);
    }
}

#[test]
fn unknown_opcodes_close_4001() {
    for frame in [r#"{"op":2,"d":{}}"#, r#"{"op":99,"d":null}"#, r#"{"op":300,"d":null}"#] {
        let (mut c, now) = established(Version::V8);
        c.handle_text(now, frame.as_bytes());
        assert_closed(&mut c, CloseCode::UnknownOpcode);
    }
}

#[test]
fn select_protocol_checks_protocol_then_mode() {
    let (mut c, now) = established(Version::V8);
    c.handle_text(now, br#"{"op":1,"d":{"protocol":"rtmp","data":"v=0"}}"#);
    assert_closed(&mut c, CloseCode::UnknownProtocol);

    // WebRTC: the SDP from `data` (a string, as Discord's web client sends it), `sdp`, or
    // `data.sdp`; without one the payload is undecodable.
    for frame in [
        &br#"{"op":1,"d":{"protocol":"webrtc","data":"v=0"}}"#[..],
        br#"{"op":1,"d":{"protocol":"webrtc","data":{},"sdp":"v=0"}}"#,
        br#"{"op":1,"d":{"protocol":"webrtc","data":{"sdp":"v=0"}}}"#,
    ] {
        let (mut c, now) = established(Version::V8);
        c.handle_text(now, frame);
        assert_eq!(c.poll_output(), Some(Output::SelectWebRtc { sdp: "v=0".into() }));
    }
    let (mut c, now) = established(Version::V8);
    c.handle_text(now, br#"{"op":1,"d":{"protocol":"webrtc","data":{"sdp":7}}}"#);
    assert_closed(&mut c, CloseCode::DecodeError);

    // A mode this server does not implement at all.
    let (mut c, now) = established(Version::V8);
    c.handle_text(
        now,
        br#"{"op":1,"d":{"protocol":"udp","data":{"address":"a","port":1,"mode":"xsalsa20_poly1305"}}}"#,
    );
    assert_closed(&mut c, CloseCode::UnknownEncryptionMode);

    // A mode it implements but did not list in READY.
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, IDENTIFY.as_bytes());
    c.ready(1, "127.0.0.1", 1, &[Mode::XChaCha20Poly1305Rtpsize]);
    drain(&mut c);
    c.handle_text(now, SELECT_AES.as_bytes());
    assert_closed(&mut c, CloseCode::UnknownEncryptionMode);
}

#[test]
fn rejected_identify_closes_with_the_drivers_code() {
    let (mut c, now) = start(Version::V8);
    c.handle_text(now, IDENTIFY.as_bytes());
    drain(&mut c);
    c.reject(CloseCode::AuthenticationFailed);
    // A late answer from the driver changes nothing.
    c.ready(1, "127.0.0.1", 1, &Mode::ALL);
    assert_closed(&mut c, CloseCode::AuthenticationFailed);
}

#[test]
fn server_side_close_is_emitted_once() {
    let (mut c, _) = established(Version::V8);
    c.speaking(2, 2, 1);
    c.close(CloseCode::Disconnected);
    c.close(CloseCode::CallTerminated);
    let out = drain(&mut c);
    assert!(matches!(&out[..], [Output::Send(_), Output::Close(CloseCode::Disconnected)]), "{out:?}");
}

#[test]
fn flooding_closes_4021() {
    let (mut c, now) = established(Version::V8);
    for _ in 0..RATE_LIMIT - 2 {
        c.handle_text(now, br#"{"op":5,"d":{"speaking":1,"ssrc":1001}}"#);
    }
    drain(&mut c);
    // A new window starts a new count.
    let next = now + RATE_WINDOW;
    for _ in 0..RATE_LIMIT {
        c.handle_text(next, br#"{"op":12,"d":{}}"#);
    }
    assert!(drain(&mut c).is_empty());
    c.handle_text(next, br#"{"op":12,"d":{}}"#);
    assert_closed(&mut c, CloseCode::RateLimited);
}

#[test]
fn huge_intervals_do_not_overflow() {
    let now = Instant::now();
    let mut c = Connection::new(now, Version::V8, Duration::MAX);
    assert!(sent(&mut c)[0].contains(&u64::MAX.to_string()));
    assert_eq!(c.poll_timeout(), Some(now + IDENTIFY_TIMEOUT));
    c.handle_text(now, br#"{"op":3,"d":{"t":1}}"#);
    c.handle_timeout(now + Duration::from_secs(1_000_000));
    assert_closed(&mut c, CloseCode::NotAuthenticated);
}
