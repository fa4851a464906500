//! Everything the voice WebSocket reads from a client, driven through the sans-IO
//! `signal::Connection` with time moving and a pretend driver that answers IDENTIFY, RESUME and
//! SELECT_PROTOCOL, relays, closes and resumes on new connections with the kept outbox.
//!
//! Input: a script of steps, each chosen by one byte: a raw frame (length byte + bytes), a
//! JSON-shaped frame for op 0/1/3/5/7 (or another op) built from the following bytes, a time
//! step, a timeout, a server-side message or close, or "the socket dropped: reconnect". The
//! connection must never panic, must close at most once and say nothing after its close, and
//! every frame it sends must be a JSON object with `op` first and `seq` only on v8.
#![no_main]

use std::time::{Duration, Instant};

use guildhall_voice_proto::crypto::Mode;
use guildhall_voice_proto::signal::{CloseCode, Connection, Outbox, Output, Version};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| run(data));

/// Reads the script; running out of bytes reads zeros, and the step loop stops at the end.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| acc << 8 | u64::from(self.byte()))
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn string(&mut self) -> String {
        let n = usize::from(self.byte() % 24);
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    /// A JSON value of any type, biased towards the types the protocol uses.
    fn value(&mut self, depth: u8) -> Value {
        match self.byte() % 12 {
            0 => Value::Null,
            1 => Value::Bool(self.byte() & 1 == 1),
            2 => json!(self.byte()),
            3 => json!(self.u64()),
            4 => json!(-i64::from(self.byte())),
            5 => json!(f64::from(self.byte()) / 3.0),
            6 => json!(self.u64().to_string()),
            7 => json!(self.string()),
            8 | 9 if depth < 3 => {
                let n = self.byte() % 4;
                Value::Array((0..n).map(|_| self.value(depth + 1)).collect())
            }
            10 | 11 if depth < 3 => {
                let n = self.byte() % 4;
                Value::Object((0..n).map(|_| (self.string(), self.value(depth + 1))).collect())
            }
            _ => json!(1),
        }
    }

    /// Usually the expected value, sometimes anything, sometimes absent.
    fn field(&mut self, map: &mut Map<String, Value>, key: &str, expected: Value) {
        match self.byte() % 8 {
            0 => {}
            1 => drop(map.insert(key.to_owned(), self.value(0))),
            _ => drop(map.insert(key.to_owned(), expected)),
        }
    }

    fn id(&mut self) -> Value {
        match self.byte() % 4 {
            0 => json!(self.u64()),
            1 => json!(0),
            _ => json!(self.u64().to_string()),
        }
    }

    fn mode_name(&mut self) -> Value {
        match self.byte() % 4 {
            0 => json!("aead_aes256_gcm_rtpsize"),
            1 => json!("aead_xchacha20_poly1305_rtpsize"),
            2 => json!("xsalsa20_poly1305_lite"),
            _ => self.value(0),
        }
    }

    /// A JSON-shaped client frame.
    fn frame(&mut self) -> Vec<u8> {
        let op = match self.byte() % 8 {
            0 => 0,
            1 => 1,
            2 | 3 => 3,
            4 => 5,
            5 => 7,
            6 => [12, 23, 31, 2, 99][usize::from(self.byte() % 5)],
            _ => u64::from(self.byte()),
        };
        let mut d = Map::new();
        match op {
            0 => {
                let (server, user, dave) = (self.id(), self.id(), json!(self.byte() % 3));
                self.field(&mut d, "server_id", server);
                self.field(&mut d, "user_id", user);
                self.field(&mut d, "session_id", json!("s"));
                self.field(&mut d, "token", json!("t"));
                self.field(&mut d, "max_dave_protocol_version", dave);
            }
            1 => {
                let mut data = Map::new();
                let (mode, port) = (self.mode_name(), json!(self.u64() % 70_000));
                self.field(&mut data, "address", json!("127.0.0.1"));
                self.field(&mut data, "port", port);
                self.field(&mut data, "mode", mode);
                let protocol = if self.byte() % 4 == 0 { self.value(0) } else { json!("udp") };
                self.field(&mut d, "protocol", protocol);
                self.field(&mut d, "data", Value::Object(data));
            }
            3 if self.byte() & 1 == 0 => {
                let bare = self.value(0);
                return serde_json::to_vec(&json!({"op": 3, "d": bare})).unwrap_or_default();
            }
            3 => {
                let (t, ack) = (self.value(0), json!(i64::from(self.byte()) - 2));
                self.field(&mut d, "t", t);
                self.field(&mut d, "seq_ack", ack);
            }
            5 => {
                let speaking = if self.byte() & 1 == 0 { json!(self.byte() % 8) } else { json!(self.byte() & 1 == 1) };
                let ssrc = json!(self.u64() % (1 << 33));
                self.field(&mut d, "speaking", speaking);
                self.field(&mut d, "delay", json!(0));
                self.field(&mut d, "ssrc", ssrc);
            }
            7 => {
                let (server, ack) = (self.id(), json!(i64::from(self.byte()) - 2));
                self.field(&mut d, "server_id", server);
                self.field(&mut d, "session_id", json!("s"));
                self.field(&mut d, "token", json!("t"));
                self.field(&mut d, "seq_ack", ack);
            }
            _ => drop(d.insert("x".to_owned(), self.value(0))),
        }
        let mut top = Map::new();
        top.insert("op".to_owned(), json!(op));
        top.insert("d".to_owned(), Value::Object(d));
        if self.byte() % 8 == 0 {
            top.insert("seq".to_owned(), self.value(0));
        }
        serde_json::to_vec(&top).unwrap_or_default()
    }
}

fn version(b: u8) -> Version {
    [Version::V4, Version::V5, Version::V6, Version::V7, Version::V8][usize::from(b % 5)]
}

struct Driver {
    start: Instant,
    now: Instant,
    conn: Connection,
    closed: bool,
    /// The outbox of the last dropped connection, waiting for a RESUME.
    kept: Option<Outbox>,
}

impl Driver {
    fn drain(&mut self, script: &mut Bytes<'_>) {
        while let Some(output) = self.conn.poll_output() {
            assert!(!self.closed, "output after close: {output:?}");
            match output {
                Output::Send(frame) => check_frame(&frame, self.conn.version()),
                Output::Close(code) => {
                    assert!((4001..=4022).contains(&code.code()));
                    self.closed = true;
                }
                Output::Identify(_) => match script.byte() % 4 {
                    0 => self.conn.reject(CloseCode::AuthenticationFailed),
                    n => {
                        let modes: &[Mode] = match n {
                            1 => &Mode::ALL,
                            2 => &[Mode::XChaCha20Poly1305Rtpsize],
                            _ => &[],
                        };
                        self.conn.ready(script.byte().into(), "127.0.0.1", 50_000, modes);
                    }
                },
                Output::Resume(resume) => match self.kept.take() {
                    Some(outbox) if script.byte() % 4 != 0 => self.conn.resumed(outbox, resume.seq_ack),
                    _ => self.conn.reject(CloseCode::SessionNoLongerValid),
                },
                Output::SelectProtocol { mode, .. } => self.conn.session_description(mode, &[script.byte(); 32]),
                _ => {}
            }
        }
        if !self.closed
            && let Some(deadline) = self.conn.poll_timeout()
        {
            assert!(deadline > self.start);
        }
    }
}

/// A server frame: a JSON object, `op` first, `d` second, `seq` (a positive integer) only on v8.
fn check_frame(frame: &str, version: Version) {
    assert!(frame.starts_with(r#"{"op":"#), "{frame}");
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(frame) else { panic!("not a JSON object: {frame}") };
    assert!(map.contains_key("d"), "{frame}");
    match map.get("seq") {
        None => assert_eq!(map.len(), 2, "{frame}"),
        Some(seq) => {
            assert!(version == Version::V8 && map.len() == 3, "{frame}");
            assert!(seq.as_u64().is_some_and(|s| s >= 1), "{frame}");
        }
    }
}

fn run(data: &[u8]) {
    let mut script = Bytes(data);
    let start = Instant::now();
    let interval = Duration::from_millis(u64::from(script.byte()) * 100 + 1);
    let mut driver = Driver {
        start,
        now: start,
        conn: Connection::new(start, version(script.byte()), interval),
        closed: false,
        kept: None,
    };
    driver.drain(&mut script);
    while !script.0.is_empty() {
        match script.byte() % 12 {
            0 => {
                let n = usize::from(script.byte());
                let frame = script.take(n).to_vec();
                driver.conn.handle_text(driver.now, &frame);
            }
            1..=4 => {
                let frame = script.frame();
                driver.conn.handle_text(driver.now, &frame);
            }
            5 => driver.now += Duration::from_millis(u64::from(script.byte()) * 250),
            6 => driver.conn.handle_timeout(driver.now),
            7 => {
                let (user, ssrc, speaking) = (script.u64(), script.byte().into(), script.byte().into());
                driver.conn.speaking(user, ssrc, speaking);
            }
            8 => {
                let users: Vec<u64> = (0..script.byte() % 4).map(|_| script.u64()).collect();
                driver.conn.clients_connect(&users);
                driver.conn.client_disconnect(script.u64());
            }
            9 => {
                driver.conn.close([CloseCode::Disconnected, CloseCode::CallTerminated][usize::from(script.byte() & 1)])
            }
            _ => {
                // The socket dropped: keep the outbox (buffering a little meanwhile) and connect again.
                let mut outbox = driver.conn.take_outbox();
                if script.byte() & 1 == 1 {
                    outbox.speaking(script.u64(), 1, 1);
                }
                driver.kept = Some(outbox);
                driver.conn = Connection::new(driver.now, version(script.byte()), interval);
                driver.closed = false;
            }
        }
        driver.drain(&mut script);
    }
}
