//! v8 buffering: `seq_ack` trimming, RESUME replay, eviction (4006) and v4 resumes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn heartbeat_seq_ack_trims_the_outbox() {
    // READY (1), SESSION_DESCRIPTION (2) and three relays (3..=5) are kept until acknowledged.
    for (seq_ack, pending) in [("null", 5), ("-1", 5), ("\"3\"", 5), ("0", 5), ("2", 3), ("4", 1), ("5", 0), ("100", 0)]
    {
        let (mut c, now) = established(Version::V8);
        for user in 1..=3 {
            c.speaking(user, 1, 1);
        }
        sent(&mut c);
        c.handle_text(now, format!(r#"{{"op":3,"d":{{"t":1,"seq_ack":{seq_ack}}}}}"#).as_bytes());
        assert_eq!(sent(&mut c), [r#"{"op":6,"d":{"t":1}}"#]);
        let outbox = c.take_outbox();
        assert_eq!((outbox.last_seq(), outbox.pending()), (5, pending), "seq_ack {seq_ack}");
    }
    // An acknowledged message is not replayed, and a RESUME that claims less than it
    // acknowledged cannot be served.
    let (mut c, now) = established(Version::V8);
    c.speaking(1, 1, 1);
    c.handle_text(now, br#"{"op":3,"d":{"t":1,"seq_ack":2}}"#);
    drain(&mut c);
    for (seq_ack, frames) in [(Some(2), 2), (Some(3), 1), (Some(1), 0)] {
        let mut outbox = Outbox::new(Version::V8);
        std::mem::swap(&mut outbox, &mut c.outbox);
        let (mut b, _) = start(Version::V8);
        b.handle_text(now, br#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t"}}"#);
        drain(&mut b);
        b.resumed(outbox, seq_ack);
        if frames == 0 {
            assert_closed(&mut b, CloseCode::SessionNoLongerValid);
        } else {
            assert_eq!(sent(&mut b).len(), frames, "{seq_ack:?}");
            c = b;
        }
    }
}

#[test]
fn resume_replays_unacknowledged_messages_after_resumed() {
    let (mut a, now) = established(Version::V8);
    a.speaking(2, 1002, 1); // seq 3
    a.speaking(2, 1002, 0); // seq 4
    sent(&mut a);
    a.handle_text(now, br#"{"op":3,"d":{"t":1,"seq_ack":2}}"#);
    sent(&mut a);
    // The socket drops; the driver keeps the outbox and buffers what happens meanwhile.
    let mut outbox = a.take_outbox();
    assert!(a.is_closed());
    outbox.client_disconnect(2); // seq 5
    assert_eq!(outbox.pending(), 3);

    let (mut b, later) = start(Version::V8);
    b.handle_text(
        later,
        br#"{"op":7,"d":{"server_id":"1000000000000000001","session_id":"s","token":"t","seq_ack":3}}"#,
    );
    let [Output::Resume(resume)] = &drain(&mut b)[..] else { panic!("no resume") };
    assert_eq!(
        (resume.server_id.get(), resume.session_id.as_str(), resume.token.as_str()),
        (1_000_000_000_000_000_001, "s", "t")
    );
    assert_eq!(resume.seq_ack, Some(3));
    b.resumed(outbox, resume.seq_ack);
    assert_eq!(
        sent(&mut b),
        [
            r#"{"op":9,"d":null}"#,
            r#"{"op":5,"d":{"user_id":"2","ssrc":1002,"speaking":0},"seq":4}"#,
            r#"{"op":13,"d":{"user_id":"2"},"seq":5}"#,
        ]
    );
    assert!(b.is_established());
    // Numbering continues, and the modes READY offered still bound SELECT_PROTOCOL.
    b.speaking(3, 1003, 1);
    assert!(sent(&mut b)[0].ends_with(r#""seq":6}"#));
    b.handle_text(later, SELECT_AES.as_bytes());
    assert!(matches!(&drain(&mut b)[..], [Output::SelectProtocol { .. }]));
}

#[test]
fn resume_after_eviction_closes_4006() {
    let (mut a, _) = established(Version::V8);
    for n in 0..OUTBOX_CAPACITY as u64 {
        a.speaking(n + 1, 1, 1);
    }
    sent(&mut a);
    // seq 1..=66 were sent; 1 and 2 fell out of the 64 kept.
    let outbox = a.take_outbox();
    assert_eq!((outbox.last_seq(), outbox.pending()), (66, OUTBOX_CAPACITY));
    for (seq_ack, closes) in [(None, true), (Some(1), true), (Some(2), false)] {
        let mut outbox_copy = Outbox::new(Version::V8);
        for n in 0..outbox.last_seq() {
            outbox_copy.speaking(n + 1, 1, 1);
        }
        let (mut b, now) = start(Version::V8);
        b.handle_text(now, br#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t","seq_ack":-1}}"#);
        drain(&mut b);
        b.resumed(outbox_copy, seq_ack);
        if closes {
            assert_closed(&mut b, CloseCode::SessionNoLongerValid);
        } else {
            let frames = sent(&mut b);
            assert_eq!(frames.len(), 1 + OUTBOX_CAPACITY);
            assert!(frames[1].ends_with(r#""seq":3}"#) && frames[64].ends_with(r#""seq":66}"#));
        }
    }
}

#[test]
fn v4_resume_only_says_resumed() {
    // songbird resumes after 4009 on v4: no seq_ack, no replay.
    let (mut a, now) = established(Version::V4);
    a.handle_timeout(now + INTERVAL + HEARTBEAT_GRACE);
    assert_closed(&mut a, CloseCode::SessionTimeout);
    let mut outbox = a.take_outbox();
    outbox.speaking(2, 2, 1);
    assert_eq!((outbox.last_seq(), outbox.pending()), (0, 0));
    let (mut b, now) = start(Version::V4);
    b.handle_text(now, br#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t"}}"#);
    let [Output::Resume(resume)] = &drain(&mut b)[..] else { panic!("no resume") };
    assert_eq!(resume.seq_ack, None);
    b.resumed(outbox, None);
    assert_eq!(sent(&mut b), [r#"{"op":9,"d":null}"#]);
}

#[test]
fn resumed_outside_a_resume_is_ignored() {
    let (mut c, now) = established(Version::V8);
    c.resumed(Outbox::new(Version::V8), None);
    assert!(drain(&mut c).is_empty());
    c.reject(CloseCode::SessionNoLongerValid);
    let (mut c2, _) = start(Version::V8);
    c2.handle_text(now, br#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t"}}"#);
    drain(&mut c2);
    c2.reject(CloseCode::SessionNoLongerValid);
    assert_closed(&mut c2, CloseCode::SessionNoLongerValid);
}
