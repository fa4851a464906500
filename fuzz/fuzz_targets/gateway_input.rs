//! Everything the gateway reads from a client: a sequence of WebSocket frames fed to the sans-IO
//! connection state machine (with time moving), and the command bodies of op 2/3/4/6/8.
//!
//! Input: first byte selects the mode. 0: frames separated by 0xFF, each preceded by one byte of
//! "milliseconds passed ×100"; the machine must never panic, must close at most once, and must
//! emit nothing after its close. 1–5: one JSON body for IDENTIFY, RESUME, op 3, op 4, op 8.
#![no_main]

use std::time::{Duration, Instant};

use guildhall_gateway::connection::{Connection, ConnectionConfig, Output};
use guildhall_model::commands::{RequestGuildMembers, UpdateVoiceState};
use guildhall_model::gateway::{Identify, Resume};
use guildhall_model::presence::UpdatePresence;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 6 {
        0 => frames(rest),
        1 => drop(serde_json::from_slice::<Identify>(rest)),
        2 => drop(serde_json::from_slice::<Resume>(rest)),
        3 => drop(serde_json::from_slice::<UpdatePresence>(rest)),
        4 => drop(serde_json::from_slice::<UpdateVoiceState>(rest)),
        _ => {
            if let Ok(request) = serde_json::from_slice::<RequestGuildMembers>(rest) {
                // A nonce is echoed only when it is at most 32 bytes.
                assert!(request.valid_nonce().is_none_or(|n| n.len() <= 32));
            }
        }
    }
});

fn frames(data: &[u8]) {
    let start = Instant::now();
    let mut now = start;
    let mut conn = Connection::new(ConnectionConfig::default(), now);
    let mut closes = 0;
    for chunk in data.split(|b| *b == 0xFF) {
        let Some((&delay, frame)) = chunk.split_first() else { continue };
        now += Duration::from_millis(u64::from(delay) * 100);
        if delay == 0xFE {
            conn.handle_timeout(now);
        } else {
            conn.handle_frame(frame, now);
        }
        while let Some(output) = conn.poll_output() {
            assert_eq!(closes, 0, "output after close");
            match output {
                Output::Close(close) => {
                    assert!((4000..=4014).contains(&close.code));
                    closes += 1;
                }
                // Pretend the driver accepted IDENTIFY/RESUME so later commands are exercised.
                Output::Identify(_) | Output::Resume(_) => conn.established(),
                Output::Send(frame) => assert!(serde_json::from_slice::<serde_json::Value>(&frame).is_ok()),
                _ => {}
            }
        }
        if let Some(deadline) = conn.poll_timeout() {
            assert!(deadline > start);
        }
    }
}
