//! A lean gateway client for load: connect from a spread source address, HELLO → IDENTIFY →
//! READY (+ one GUILD_CREATE per guild), then a small read loop that heartbeats at the HELLO
//! interval and hands each dispatch's bytes to a callback. Dispatches are not parsed as JSON:
//! the event name is found by scanning for `"t":"` (the server writes `t` before `d`), which
//! keeps the client's CPU per delivered event small next to the server's.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::net;

/// `compress` query value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Compress {
    None,
    ZlibStream,
    ZstdStream,
}

impl Compress {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ZlibStream => "zlib-stream",
            Self::ZstdStream => "zstd-stream",
        }
    }

    /// The query suffix for the gateway URL.
    pub(crate) fn query(self) -> String {
        match self {
            Self::None => String::new(),
            other => format!("&compress={}", other.name()),
        }
    }
}

/// Intents: GUILDS (1 << 0) | GUILD_MESSAGES (1 << 9); never GUILD_MEMBERS or GUILD_PRESENCES,
/// whose member/presence fan-out would make N sessions cost O(N²).
pub(crate) const INTENTS: u64 = 1 | (1 << 9);

/// Decompresses one connection's transport stream (one context per connection).
pub(crate) enum Inflater {
    None,
    Zlib(Box<flate2::Decompress>, Vec<u8>),
    Zstd(Box<zstd::stream::raw::Decoder<'static>>, Vec<u8>),
}

impl Inflater {
    pub(crate) fn new(compress: Compress) -> anyhow::Result<Self> {
        Ok(match compress {
            Compress::None => Self::None,
            Compress::ZlibStream => Self::Zlib(Box::new(flate2::Decompress::new(true)), Vec::new()),
            Compress::ZstdStream => Self::Zstd(Box::new(zstd::stream::raw::Decoder::new()?), Vec::new()),
        })
    }

    /// The JSON of one WebSocket message.
    pub(crate) fn inflate<'a>(&'a mut self, bytes: &'a [u8]) -> anyhow::Result<&'a [u8]> {
        match self {
            Self::None => Ok(bytes),
            Self::Zlib(z, out) => {
                out.clear();
                out.reserve(bytes.len() * 4 + 256);
                let mut input = bytes;
                loop {
                    let before = z.total_in();
                    z.decompress_vec(input, out, flate2::FlushDecompress::Sync)?;
                    let used = usize::try_from(z.total_in() - before)?;
                    input = &input[used.min(input.len())..];
                    // Finished when all input is in and the output did not fill up.
                    if input.is_empty() && out.len() < out.capacity() {
                        return Ok(out);
                    }
                    out.reserve(out.capacity());
                }
            }
            Self::Zstd(z, out) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                if out.len() < bytes.len() * 8 + 1024 {
                    out.resize(bytes.len() * 8 + 1024, 0);
                }
                let mut input = InBuffer::around(bytes);
                let mut written = 0;
                loop {
                    let mut output = OutBuffer::around_pos(out.as_mut_slice(), written);
                    z.run(&mut input, &mut output)?;
                    written = output.pos();
                    if input.pos() == bytes.len() && written < out.len() {
                        return Ok(&out[..written]);
                    }
                    let grown = out.len() * 2;
                    out.resize(grown, 0);
                }
            }
        }
    }
}

/// The dispatch name of a frame (`None` for control frames).
pub(crate) fn event_name(frame: &[u8]) -> Option<&[u8]> {
    let at = find(frame, b"\"t\":\"")? + 5;
    let len = frame[at..].iter().position(|&b| b == b'"')?;
    Some(&frame[at..at + len])
}

/// The sequence number of a dispatch (`"s":N`).
fn seq(frame: &[u8]) -> Option<u64> {
    let at = find(frame, b"\"s\":")? + 4;
    digits(&frame[at..])
}

/// The number right after `marker` (e.g. the message index in `"content":"lg:17;"`).
pub(crate) fn number_after(frame: &[u8], marker: &[u8]) -> Option<u64> {
    let at = find(frame, marker)? + marker.len();
    digits(&frame[at..])
}

fn digits(bytes: &[u8]) -> Option<u64> {
    let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&bytes[..n]).ok()?.parse().ok()
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One identified session.
pub(crate) struct Session {
    ws: WebSocketStream<TcpStream>,
    inflater: Inflater,
    heartbeat: Duration,
    seq: Option<u64>,
}

/// Small buffers: thousands of client sessions live in one process.
fn config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(8 * 1024).write_buffer_size(0)
}

/// Connects the `index`-th session to `addr` + `path` (e.g. `/gateway?v=10&encoding=json`),
/// identifies with `token` and waits for READY and each guild's GUILD_CREATE.
pub(crate) async fn open(
    index: usize,
    addr: SocketAddr,
    path: &str,
    token: &str,
    compress: Compress,
) -> anyhow::Result<Session> {
    let stream = net::connect(index, addr).await.context("connect")?;
    let url = format!("ws://{addr}{path}{}", compress.query());
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config())).await?;
    let mut session = Session { ws, inflater: Inflater::new(compress)?, heartbeat: Duration::from_secs(41), seq: None };
    let hello = session.next_json().await?;
    let interval = number_after(&hello, b"\"heartbeat_interval\":").context("no heartbeat_interval in HELLO")?;
    session.heartbeat = Duration::from_millis(interval);
    let identify = serde_json::json!({"op": 2, "d": {
        "token": token, "intents": INTENTS,
        "properties": {"os": "linux", "browser": "loadgen", "device": "loadgen"},
    }});
    session.ws.send(Message::text(identify.to_string())).await?;
    let mut guilds_left: Option<usize> = None;
    loop {
        let frame = session.next_json().await?;
        match event_name(&frame) {
            Some(b"READY") => {
                let ready: serde_json::Value = serde_json::from_slice(&frame)?;
                guilds_left = Some(ready["d"]["guilds"].as_array().map_or(0, Vec::len));
            }
            Some(b"GUILD_CREATE" | b"GUILD_DELETE") => {
                guilds_left = guilds_left.map(|n| n.saturating_sub(1));
            }
            _ => {}
        }
        if guilds_left == Some(0) {
            return Ok(session);
        }
    }
}

impl Session {
    /// The next text/binary message as JSON bytes (pings are answered by the library).
    async fn next_json(&mut self) -> anyhow::Result<Vec<u8>> {
        loop {
            let message = self.ws.next().await.context("connection closed")??;
            let bytes = match &message {
                Message::Text(t) => t.as_bytes(),
                Message::Binary(b) => b,
                Message::Close(frame) => bail!("closed by the server: {frame:?}"),
                _ => continue,
            };
            let json = self.inflater.inflate(bytes)?.to_vec();
            if let Some(s) = seq(&json) {
                self.seq = Some(s);
            }
            return Ok(json);
        }
    }

    /// Reads until the connection ends or `stop` fires, heartbeating on time; `on_dispatch`
    /// gets each frame's JSON and the instant it was read.
    pub(crate) async fn run(
        mut self,
        mut stop: tokio::sync::watch::Receiver<bool>,
        mut on_frame: impl FnMut(&[u8], Instant),
    ) -> anyhow::Result<()> {
        // Like real clients, the first heartbeat comes after `interval × jitter` (jitter in [0, 1)),
        // so N sessions spread their heartbeats over the interval.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let first = self.heartbeat.mul_f64(f64::from(nanos % 1000) / 1000.0);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first, self.heartbeat);
        loop {
            tokio::select! {
                message = self.ws.next() => {
                    let message = message.context("connection closed")??;
                    let now = Instant::now();
                    let bytes = match &message {
                        Message::Text(t) => t.as_bytes(),
                        Message::Binary(b) => b,
                        Message::Close(frame) => bail!("closed by the server: {frame:?}"),
                        _ => continue,
                    };
                    let json = self.inflater.inflate(bytes)?;
                    // Dispatches start `{"op":0,"s":N`: the sequence number is right there.
                    if json.starts_with(b"{\"op\":0,\"s\":") {
                        self.seq = digits(&json[12..]).or(self.seq);
                    }
                    on_frame(json, now);
                }
                _ = tick.tick() => {
                    let d = self.seq.map_or_else(|| "null".to_owned(), |s| s.to_string());
                    self.ws.send(Message::text(format!("{{\"op\":1,\"d\":{d}}}"))).await?;
                }
                _ = stop.changed() => {
                    // 1000: the session ends (a logout). Any other close leaves it resumable on
                    // the server for the resume window, still sequencing events, which would
                    // load the next phase of a run.
                    let close = CloseFrame { code: CloseCode::Normal, reason: "".into() };
                    let _ = self.ws.close(Some(close)).await;
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sequences_and_indices_are_found_without_parsing() {
        let f = br#"{"op":0,"s":12,"t":"MESSAGE_CREATE","d":{"content":"lg:345;","t":"x"}}"#;
        assert_eq!(event_name(f), Some(&b"MESSAGE_CREATE"[..]));
        assert_eq!(seq(f), Some(12));
        assert_eq!(number_after(f, b"\"content\":\"lg:"), Some(345));
        assert_eq!(event_name(br#"{"op":11,"d":null,"s":null,"t":null}"#), None);
    }

    #[test]
    fn zlib_stream_inflates_message_by_message() {
        use flate2::{Compress as Z, Compression, FlushCompress};
        let mut z = Z::new(Compression::default(), true);
        let mut inflater = Inflater::new(Compress::ZlibStream).unwrap_or(Inflater::None);
        for text in [&b"{\"op\":10}"[..], &[b'a'; 5000][..]] {
            let mut out = Vec::with_capacity(6000);
            let _ = z.compress_vec(text, &mut out, FlushCompress::Sync);
            assert_eq!(inflater.inflate(&out).ok(), Some(text));
        }
    }
}
