#![allow(clippy::unwrap_used)]

use super::*;

fn start() -> (Connection, Instant) {
    let now = Instant::now();
    let mut c = Connection::new(ConnectionConfig::default(), now);
    let Some(Output::Send(hello)) = c.poll_output() else { panic!("no hello") };
    let v: serde_json::Value = serde_json::from_slice(&hello).unwrap();
    assert_eq!(v["op"], 10);
    assert_eq!(v["d"]["heartbeat_interval"], 41_250);
    (c, now)
}

fn drain(c: &mut Connection) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

fn closed_with(c: &mut Connection) -> u16 {
    match drain(c).pop() {
        Some(Output::Close(close)) => close.code,
        other => panic!("expected a close, got {other:?}"),
    }
}

const IDENTIFY: &[u8] = br#"{"op":2,"d":{"token":"t","intents":1}}"#;

#[test]
fn heartbeat_is_acked_before_and_after_identify() {
    let (mut c, now) = start();
    c.handle_frame(br#"{"op":1,"d":null}"#, now);
    let out = drain(&mut c);
    assert!(matches!(&out[..], [Output::Send(ack)] if ack.starts_with(br#"{"op":11"#)));
    c.handle_frame(IDENTIFY, now);
    assert!(matches!(drain(&mut c)[..], [Output::Identify(_)]));
    c.established();
    c.handle_frame(br#"{"op":1,"d":5}"#, now);
    assert!(matches!(&drain(&mut c)[..], [Output::Send(ack)] if ack.starts_with(br#"{"op":11"#)));
}

#[test]
fn missed_heartbeat_closes_resumably() {
    let (mut c, now) = start();
    c.handle_frame(IDENTIFY, now);
    c.established();
    drain(&mut c);
    let due = c.poll_timeout().unwrap();
    assert_eq!(due, now + Duration::from_millis(41_250) + Duration::from_secs(15));
    c.handle_timeout(due - Duration::from_millis(1));
    assert!(drain(&mut c).is_empty());
    // A heartbeat moves the deadline.
    let later = now + Duration::from_secs(40);
    c.handle_frame(br#"{"op":1,"d":null}"#, later);
    drain(&mut c);
    c.handle_timeout(due);
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(c.poll_timeout().unwrap());
    let [Output::Close(close)] = &drain(&mut c)[..] else { panic!("no close") };
    assert_eq!(*close, Close::HEARTBEAT_TIMEOUT);
    assert!(close.resumable);
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn no_identify_in_time_is_4009() {
    let config = ConnectionConfig { identify_timeout: Duration::from_secs(5), ..ConnectionConfig::default() };
    let now = Instant::now();
    let mut c = Connection::new(config, now);
    drain(&mut c);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(5)));
    c.handle_timeout(now + Duration::from_secs(5));
    assert_eq!(closed_with(&mut c), 4009);
}

#[test]
fn commands_before_identify_are_4003() {
    let (mut c, now) = start();
    c.handle_frame(br#"{"op":3,"d":{"status":"online","afk":false,"since":null,"activities":[]}}"#, now);
    assert_eq!(closed_with(&mut c), 4003);
}

#[test]
fn second_identify_is_4005() {
    let (mut c, now) = start();
    c.handle_frame(IDENTIFY, now);
    c.established();
    c.handle_frame(IDENTIFY, now);
    assert_eq!(closed_with(&mut c), 4005);
    // Nothing more comes out of a closed connection.
    c.handle_frame(br#"{"op":1,"d":null}"#, now);
    assert!(drain(&mut c).is_empty());
}

#[test]
fn resume_during_identify_is_4005() {
    let (mut c, now) = start();
    c.handle_frame(IDENTIFY, now);
    c.handle_frame(br#"{"op":6,"d":{"token":"t","session_id":"s","seq":1}}"#, now);
    assert_eq!(closed_with(&mut c), 4005);
}

#[test]
fn oversized_frame_is_4002_and_bad_json_too() {
    let (mut c, now) = start();
    let mut big = br#"{"op":1,"d":null,"x":""#.to_vec();
    big.resize(4097, b' ');
    c.handle_frame(&big, now);
    assert_eq!(closed_with(&mut c), 4002);
    let (mut c, now) = start();
    c.handle_frame(b"{", now);
    assert_eq!(closed_with(&mut c), 4002);
}

#[test]
fn exactly_4096_bytes_is_accepted() {
    let (mut c, now) = start();
    let mut frame = br#"{"op":1,"d":null}"#.to_vec();
    frame.resize(4096, b' ');
    c.handle_frame(&frame, now);
    assert!(matches!(&drain(&mut c)[..], [Output::Send(_)]));
}

#[test]
fn unknown_opcode_is_4001() {
    let (mut c, now) = start();
    c.handle_frame(br#"{"op":12,"d":null}"#, now);
    assert_eq!(closed_with(&mut c), 4001);
}

#[test]
fn the_121st_command_in_a_minute_is_4008_and_the_window_slides() {
    let (mut c, now) = start();
    for i in 0..120 {
        c.handle_frame(br#"{"op":1,"d":null}"#, now + Duration::from_millis(i * 100));
    }
    assert_eq!(drain(&mut c).len(), 120);
    // A new window starts 60 s after the first command.
    let (mut fresh, t0) = start();
    for _ in 0..120 {
        fresh.handle_frame(br#"{"op":1,"d":null}"#, t0);
    }
    fresh.handle_frame(br#"{"op":1,"d":null}"#, t0 + Duration::from_secs(60));
    assert!(drain(&mut fresh).iter().all(|o| matches!(o, Output::Send(_))));
    c.handle_frame(br#"{"op":1,"d":null}"#, now + Duration::from_secs(13));
    let close = closed_with(&mut c);
    assert_eq!(close, 4008);
}

#[test]
fn invalid_session_lets_the_client_identify_again() {
    let (mut c, now) = start();
    c.handle_frame(br#"{"op":6,"d":{"token":"t","session_id":"gone","seq":4}}"#, now);
    assert!(matches!(drain(&mut c)[..], [Output::Resume(_)]));
    c.invalid_session(false);
    let [Output::Send(frame)] = &drain(&mut c)[..] else { panic!() };
    assert_eq!(frame.as_slice(), br#"{"op":9,"d":false,"s":null,"t":null}"#);
    c.handle_frame(IDENTIFY, now);
    assert!(matches!(drain(&mut c)[..], [Output::Identify(_)]));
}

#[test]
fn commands_after_identify_go_to_the_driver() {
    let (mut c, now) = start();
    c.handle_frame(IDENTIFY, now);
    c.established();
    drain(&mut c);
    c.handle_frame(br#"{"op":4,"d":{"guild_id":"1","channel_id":null,"self_mute":false,"self_deaf":false}}"#, now);
    c.handle_frame(br#"{"op":8,"d":{"guild_id":"1","query":"","limit":0}}"#, now);
    c.handle_frame(br#"{"op":3,"d":{"status":"idle","since":null,"activities":[],"afk":false}}"#, now);
    c.handle_frame(br#"{"op":31,"d":{"guild_ids":["1"]}}"#, now);
    let out = drain(&mut c);
    assert!(matches!(
        &out[..],
        [Output::VoiceStateUpdate(_), Output::RequestGuildMembers(_), Output::PresenceUpdate(_)]
    ));
}

#[test]
fn reconnect_is_op_7() {
    let (mut c, _) = start();
    c.reconnect();
    let [Output::Send(frame)] = &drain(&mut c)[..] else { panic!() };
    assert_eq!(frame.as_slice(), br#"{"op":7,"d":null,"s":null,"t":null}"#);
}
