//! A small gateway test client over real WebSockets (protocol.md §1): connects with
//! `?v=10&encoding=json[&compress=…]`, inflates zlib-stream / zstd-stream with one context per
//! connection, and offers the few commands tests need. Every wait has a timeout; failures panic
//! with what was expected (this is test support: failing loudly is the point).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The default wait for anything the server is expected to send.
pub const WAIT: Duration = Duration::from_secs(10);

/// The transport compression to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain JSON text frames.
    None,
    /// `compress=zlib-stream`.
    Zlib,
    /// `compress=zstd-stream`.
    Zstd,
}

impl Compression {
    fn query(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Zlib => "&compress=zlib-stream",
            Self::Zstd => "&compress=zstd-stream",
        }
    }
}

/// One server frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// `op`.
    pub op: u64,
    /// `s` (dispatches only).
    pub s: Option<u64>,
    /// `t` (dispatches only).
    pub t: Option<String>,
    /// `d`.
    pub d: Value,
    /// The whole frame as received.
    pub raw: Value,
    /// Whether it came in a binary WebSocket message.
    pub binary: bool,
}

impl Frame {
    /// `t`, or `""` for non-dispatch frames.
    pub fn name(&self) -> &str {
        self.t.as_deref().unwrap_or("")
    }
}

/// Why no frame came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Nothing within the timeout.
    Timeout,
    /// The server closed (with this close code, if the close frame had one) or the stream ended.
    Closed(Option<u16>),
}

enum Inflater {
    None,
    Zlib { ctx: Box<flate2::Decompress>, pending: Vec<u8> },
    Zstd(Box<zstd::stream::raw::Decoder<'static>>),
}

impl Inflater {
    fn new(compression: Compression) -> Self {
        match compression {
            Compression::None => Self::None,
            Compression::Zlib => Self::Zlib { ctx: Box::new(flate2::Decompress::new(true)), pending: Vec::new() },
            Compression::Zstd => Self::Zstd(Box::new(zstd::stream::raw::Decoder::new().expect("zstd decoder"))),
        }
    }

    /// Feeds one binary message; returns a whole JSON document when one is complete.
    fn feed(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::None => Some(bytes.to_vec()),
            Self::Zlib { ctx, pending } => {
                pending.extend_from_slice(bytes);
                // Clients inflate only once the buffer ends with the sync-flush marker.
                if !pending.ends_with(&[0, 0, 0xff, 0xff]) {
                    return None;
                }
                let input = std::mem::take(pending);
                let mut out = Vec::new();
                let mut consumed = 0;
                loop {
                    out.reserve(input.len() * 4 + 4096);
                    let before = ctx.total_in();
                    ctx.decompress_vec(&input[consumed..], &mut out, flate2::FlushDecompress::Sync)
                        .expect("zlib-stream inflates");
                    consumed += usize::try_from(ctx.total_in() - before).expect("fits");
                    // Done when all input is in and the inflater stopped short of a full buffer.
                    if consumed == input.len() && out.len() < out.capacity() {
                        break;
                    }
                }
                Some(out)
            }
            Self::Zstd(decoder) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                let mut input = InBuffer::around(bytes);
                let mut out = Vec::new();
                let mut chunk = vec![0u8; 64 * 1024];
                loop {
                    let mut output = OutBuffer::around(&mut chunk[..]);
                    decoder.run(&mut input, &mut output).expect("zstd-stream decompresses");
                    let produced = output.pos();
                    out.extend_from_slice(&chunk[..produced]);
                    if input.pos() == bytes.len() && produced < chunk.len() {
                        break;
                    }
                }
                Some(out)
            }
        }
    }
}

/// A gateway connection.
pub struct GatewayClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    inflater: Inflater,
    /// The last `s` received.
    pub last_seq: Option<u64>,
    /// READY `session_id`, once identified.
    pub session_id: Option<String>,
    /// READY `resume_gateway_url`, once identified.
    pub resume_url: Option<String>,
    closed: Option<Option<u16>>,
}

impl std::fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayClient")
            .field("last_seq", &self.last_seq)
            .field("session_id", &self.session_id)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// `base` (e.g. `ws://127.0.0.1:1234/gateway`) with the query real libraries send.
pub fn gateway_url(base: &str, compression: Compression) -> String {
    format!("{base}?v=10&encoding=json{}", compression.query())
}

impl GatewayClient {
    /// Connects to `base` with `?v=10&encoding=json` and the given compression.
    pub async fn connect(base: &str, compression: Compression) -> Self {
        Self::connect_url(&gateway_url(base, compression), compression).await
    }

    /// Connects to exactly `url`; `compression` must match what its query asks for.
    pub async fn connect_url(url: &str, compression: Compression) -> Self {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("connecting to {url} timed out"))
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        Self {
            ws,
            inflater: Inflater::new(compression),
            last_seq: None,
            session_id: None,
            resume_url: None,
            closed: None,
        }
    }

    /// The close code the server closed with (`Some(None)`: closed without a code).
    pub fn close_code(&self) -> Option<Option<u16>> {
        self.closed
    }

    /// The next frame, or why none came.
    pub async fn try_next_frame(&mut self, timeout: Duration) -> Result<Frame, Ended> {
        if let Some(code) = self.closed {
            return Err(Ended::Closed(code));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Err(Ended::Timeout),
                Ok(message) => message,
            };
            let (bytes, binary) = match message {
                Some(Ok(Message::Text(text))) => (text.as_bytes().to_vec(), false),
                Some(Ok(Message::Binary(bytes))) => match self.inflater.feed(&bytes) {
                    Some(json) => (json, true),
                    None => continue,
                },
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map(|f| u16::from(f.code));
                    self.closed = Some(code);
                    return Err(Ended::Closed(code));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    self.closed = Some(self.closed.flatten());
                    return Err(Ended::Closed(None));
                }
            };
            let raw: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("server frame is not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
            for key in ["op", "d", "s", "t"] {
                assert!(raw.get(key).is_some(), "frame without `{key}`: {raw}");
            }
            let op = raw["op"].as_u64().unwrap_or_else(|| panic!("op not an integer: {raw}"));
            let s = raw["s"].as_u64();
            if let Some(s) = s {
                self.last_seq = Some(s);
            }
            let t = raw["t"].as_str().map(str::to_owned);
            return Ok(Frame { op, s, t, d: raw["d"].clone(), raw, binary });
        }
    }

    /// The next frame; panics on a timeout or a close.
    pub async fn next_frame(&mut self, timeout: Duration) -> Frame {
        match self.try_next_frame(timeout).await {
            Ok(frame) => frame,
            Err(ended) => panic!("expected a frame, got {ended:?}"),
        }
    }

    /// The next dispatch (op 0), skipping heartbeat ACKs; panics on anything else.
    pub async fn next_dispatch(&mut self, timeout: Duration) -> Frame {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_frame(left).await;
            match frame.op {
                0 => return frame,
                11 => continue,
                _ => panic!("expected a dispatch, got {}", frame.raw),
            }
        }
    }

    /// Dispatches up to and including the first one named `t`.
    pub async fn collect_until(&mut self, t: &str, timeout: Duration) -> Vec<Frame> {
        self.collect_until_match(timeout, |frame| frame.name() == t).await
    }

    /// Dispatches up to and including the first for which `done` holds.
    pub async fn collect_until_match(&mut self, timeout: Duration, done: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = match tokio::time::timeout(left, self.next_dispatch(left)).await {
                Ok(frame) => frame,
                Err(_) => panic!("no matching dispatch within {timeout:?}; got {:?}", names(&out)),
            };
            let stop = done(&frame);
            out.push(frame);
            if stop {
                return out;
            }
        }
    }

    /// Sends a JSON text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.to_owned().into())).await.expect("send text frame");
    }

    /// Sends a raw binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::Binary(bytes.into())).await.expect("send binary frame");
    }

    /// Reads HELLO (which must be the first frame) and returns its integer `heartbeat_interval`.
    pub async fn hello(&mut self) -> u64 {
        let frame = self.next_frame(WAIT).await;
        assert_eq!(frame.op, 10, "first frame is HELLO: {}", frame.raw);
        assert_eq!((frame.s, frame.t.as_deref()), (None, None));
        frame.d["heartbeat_interval"].as_u64().unwrap_or_else(|| panic!("integer heartbeat_interval: {}", frame.raw))
    }

    /// Sends IDENTIFY with `token` and `intents` and returns READY's `d`.
    pub async fn identify(&mut self, token: &str, intents: u64) -> Value {
        self.identify_with(json!({
            "token": token,
            "intents": intents,
            "properties": {"os": "linux", "browser": "guildhall-testkit", "device": "guildhall-testkit"},
        }))
        .await
    }

    /// Sends IDENTIFY with `d` and returns READY's `d` (which must be the next dispatch).
    pub async fn identify_with(&mut self, d: Value) -> Value {
        self.send_json(&json!({"op": 2, "d": d})).await;
        let ready = self.next_dispatch(WAIT).await;
        assert_eq!(ready.name(), "READY", "READY follows IDENTIFY: {}", ready.raw);
        assert_eq!(ready.s, Some(1), "READY is dispatch 1");
        self.session_id = ready.d["session_id"].as_str().map(str::to_owned);
        self.resume_url = ready.d["resume_gateway_url"].as_str().map(str::to_owned);
        ready.d
    }

    /// `hello` then `identify`, then reads the GUILD_CREATE of every guild READY listed; returns
    /// READY's `d` and the GUILD_CREATEs.
    pub async fn login(&mut self, token: &str, intents: u64) -> (Value, Vec<Frame>) {
        self.hello().await;
        let ready = self.identify(token, intents).await;
        let count = ready["guilds"].as_array().map_or(0, Vec::len);
        let mut creates = Vec::new();
        for _ in 0..count {
            let frame = self.next_dispatch(WAIT).await;
            assert_eq!(frame.name(), "GUILD_CREATE", "READY is followed by GUILD_CREATEs: {}", frame.raw);
            creates.push(frame);
        }
        (ready, creates)
    }

    /// Sends op 1 with the last sequence number.
    pub async fn heartbeat(&mut self) {
        let seq = self.last_seq;
        self.send_json(&json!({"op": 1, "d": seq})).await;
    }

    /// Sends RESUME.
    pub async fn resume(&mut self, token: &str, session_id: &str, seq: u64) {
        self.send_json(&json!({"op": 6, "d": {"token": token, "session_id": session_id, "seq": seq}})).await;
    }

    /// Closes with `code` and waits (bounded) for the server to finish the closing handshake.
    pub async fn close(&mut self, code: u16) {
        let frame = CloseFrame { code: code.into(), reason: "".into() };
        // The server may already be gone; closing is best effort.
        let _ = self.ws.send(Message::Close(Some(frame))).await;
        let _ = tokio::time::timeout(WAIT, async { while let Some(Ok(_)) = self.ws.next().await {} }).await;
        self.closed.get_or_insert(Some(code));
    }

    /// Waits for the server to close, skipping any frames; returns the close code.
    pub async fn expect_close(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.try_next_frame(left).await {
                Ok(_) => continue,
                Err(Ended::Closed(code)) => return code,
                Err(Ended::Timeout) => panic!("the server did not close within {timeout:?}"),
            }
        }
    }
}

/// The `t` of each frame, for messages.
pub fn names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(Frame::name).collect()
}
