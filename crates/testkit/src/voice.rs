//! A native voice test client (protocol.md §6): joins through gateway op 4, opens the voice
//! WebSocket over TLS trusting the server's generated CA, does UDP IP discovery, selects a
//! mode and sends and receives encrypted RTP with the crate the server uses for its own crypto
//! (the crypto itself is checked against independent implementations in voice-proto's tests).
//! It counts the handshake's WebSocket bytes so tests and benchmarks can report them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::{discovery, rtp};
use serde_json::{Value, json};
use tokio::net::{TcpStream, UdpSocket};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::gateway::{GatewayClient, WAIT};

/// What op 4 gave the gateway session: VOICE_STATE_UPDATE's `session_id` and
/// VOICE_SERVER_UPDATE's token and endpoint.
#[derive(Clone, Debug)]
pub struct VoiceJoin {
    /// The guild (`server_id` in voice IDENTIFY).
    pub guild_id: String,
    /// The joining user.
    pub user_id: String,
    /// The gateway session.
    pub session_id: String,
    /// VOICE_SERVER_UPDATE `token`.
    pub token: String,
    /// VOICE_SERVER_UPDATE `endpoint` (`host:port/voice`).
    pub endpoint: String,
}

/// Sends op 4 for `channel_id` and waits for this user's VOICE_STATE_UPDATE, then
/// VOICE_SERVER_UPDATE (asserting that order, which @discordjs/voice depends on).
pub async fn join(gateway: &mut GatewayClient, guild_id: &str, channel_id: &str, user_id: &str) -> VoiceJoin {
    gateway
        .send_json(&json!({"op": 4, "d": {"guild_id": guild_id, "channel_id": channel_id, "self_mute": false, "self_deaf": false}}))
        .await;
    await_server_update(gateway, guild_id, user_id).await
}

/// Waits for this user's VOICE_STATE_UPDATE followed by VOICE_SERVER_UPDATE.
pub async fn await_server_update(gateway: &mut GatewayClient, guild_id: &str, user_id: &str) -> VoiceJoin {
    let mut session_id = None;
    loop {
        let frame = gateway.next_dispatch(WAIT).await;
        match frame.name() {
            "VOICE_STATE_UPDATE" if frame.d["user_id"] == user_id => {
                session_id = frame.d["session_id"].as_str().map(str::to_owned);
            }
            "VOICE_SERVER_UPDATE" => {
                let session_id = session_id.expect("VOICE_SERVER_UPDATE came before VOICE_STATE_UPDATE");
                assert_eq!(frame.d["guild_id"], guild_id);
                return VoiceJoin {
                    guild_id: guild_id.to_owned(),
                    user_id: user_id.to_owned(),
                    session_id,
                    token: frame.d["token"].as_str().expect("token").to_owned(),
                    endpoint: frame.d["endpoint"].as_str().expect("endpoint").to_owned(),
                };
            }
            _ => {}
        }
    }
}

/// A rustls connector trusting only the PEM CA at `ca`.
pub fn tls_connector(ca: &Path) -> Connector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("read CA") {
        roots.add(cert.expect("CA PEM")).expect("add CA");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Connector::Rustls(Arc::new(config))
}

/// One voice connection: the WebSocket and the UDP socket.
pub struct VoiceClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The client's UDP socket.
    pub udp: UdpSocket,
    /// READY `ssrc`.
    pub ssrc: u32,
    /// The negotiated mode and key.
    pub cipher: Cipher,
    /// WebSocket payload bytes sent and received from connect to SESSION_DESCRIPTION.
    pub handshake_bytes: usize,
    /// Every server message seen, in order (heartbeat ACKs excluded).
    pub messages: Vec<Value>,
    /// SSRC → user id, from relayed op 5.
    pub speakers: HashMap<u32, String>,
    counter: u32,
    sequence: u16,
    timestamp: u32,
    media: SocketAddr,
}

impl std::fmt::Debug for VoiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceClient").field("ssrc", &self.ssrc).finish_non_exhaustive()
    }
}

impl VoiceClient {
    /// Connects to `wss://{endpoint}?v={version}` trusting `ca`, and runs the handshake up to
    /// SESSION_DESCRIPTION with `mode` (which must be offered).
    pub async fn connect(ca: &Path, join: &VoiceJoin, version: u8, mode: Mode) -> Self {
        let url = format!("wss://{}?v={version}", join.endpoint);
        // TCP_NODELAY, as Node's `ws` and aiohttp set it.
        let (mut ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async_tls_with_config(&url, None, true, Some(tls_connector(ca))),
        )
        .await
        .unwrap_or_else(|_| panic!("connecting to {url} timed out"))
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        let mut bytes = 0;
        let mut messages = Vec::new();
        let identify = json!({"op": 0, "d": {"server_id": join.guild_id, "user_id": join.user_id,
            "session_id": join.session_id, "token": join.token, "max_dave_protocol_version": 0}})
        .to_string();
        bytes += identify.len();
        ws.send(Message::text(identify)).await.expect("send IDENTIFY");
        let ready = loop {
            let (text, message) = next_json(&mut ws).await;
            bytes += text.len();
            messages.push(message.clone());
            if message["op"] == 2 {
                break message["d"].clone();
            }
        };
        let modes: Vec<&str> = ready["modes"].as_array().expect("modes").iter().filter_map(Value::as_str).collect();
        assert!(modes.contains(&mode.as_str()), "{mode:?} not offered: {modes:?}");
        let ssrc = u32::try_from(ready["ssrc"].as_u64().expect("ssrc")).expect("ssrc fits u32");
        let media: SocketAddr =
            format!("{}:{}", ready["ip"].as_str().expect("ip"), ready["port"]).parse().expect("READY ip:port");
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
        udp.send_to(&discovery::request(ssrc), media).await.expect("send discovery");
        let mut buf = [0u8; 128];
        let (n, _) = tokio::time::timeout(WAIT, udp.recv_from(&mut buf)).await.expect("discovery reply").expect("recv");
        let (reply_ssrc, seen) = discovery::parse_response(&buf[..n]).expect("74-byte discovery reply");
        assert_eq!((reply_ssrc, seen), (ssrc, udp.local_addr().expect("udp addr")));
        let select = json!({"op": 1, "d": {"protocol": "udp", "data": {"address": seen.ip().to_string(),
            "port": seen.port(), "mode": mode.as_str()}}})
        .to_string();
        bytes += select.len();
        ws.send(Message::text(select)).await.expect("send SELECT_PROTOCOL");
        let description = loop {
            let (text, message) = next_json(&mut ws).await;
            bytes += text.len();
            messages.push(message.clone());
            if message["op"] == 4 {
                break message["d"].clone();
            }
        };
        assert_eq!(description["mode"], mode.as_str());
        assert_eq!(description["dave_protocol_version"], 0);
        let key: Vec<u8> = description["secret_key"]
            .as_array()
            .expect("secret_key")
            .iter()
            .map(|b| u8::try_from(b.as_u64().expect("key byte")).expect("key byte"))
            .collect();
        let key: [u8; 32] = key.try_into().expect("32-byte key");
        let mut client = Self {
            ws,
            udp,
            ssrc,
            cipher: Cipher::new(mode, &key),
            handshake_bytes: bytes,
            messages,
            speakers: HashMap::new(),
            counter: 0,
            sequence: 0,
            timestamp: 0,
            media,
        };
        for message in client.messages.clone() {
            client.note(&message);
        }
        client
    }

    fn note(&mut self, message: &Value) {
        if message["op"] == 5
            && let (Some(ssrc), Some(user)) = (message["d"]["ssrc"].as_u64(), message["d"]["user_id"].as_str())
        {
            self.speakers.insert(u32::try_from(ssrc).unwrap_or(0), user.to_owned());
        }
    }

    /// Sends a JSON message.
    pub async fn send_json(&mut self, value: &Value) {
        self.ws.send(Message::text(value.to_string())).await.expect("send voice message");
    }

    /// op 5 with this connection's SSRC.
    pub async fn speaking(&mut self, speaking: u32) {
        let ssrc = self.ssrc;
        self.send_json(&json!({"op": 5, "d": {"speaking": speaking, "delay": 0, "ssrc": ssrc}})).await;
    }

    /// The next server message other than a heartbeat ACK, or `None` after `timeout` or a close.
    pub async fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(timeout, next_message(&mut self.ws)).await.ok()??;
            if message["op"] != 6 {
                self.note(&message);
                self.messages.push(message.clone());
                return Some(message);
            }
        }
    }

    /// The close code the server ends the connection with, within `timeout`.
    pub async fn expect_close(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await.ok()? {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Sends one Opus frame as an encrypted RTP packet (PT 120, +1 sequence, +960 timestamp).
    pub async fn send_audio(&mut self, opus: &[u8]) {
        let packet = self.audio_packet(opus, &[]);
        self.udp.send_to(&packet, self.media).await.expect("send rtp");
    }

    /// The next audio packet as RTP, encrypted with this client's key: `extension` is a
    /// one-byte-profile (`0xBEDE`) extension body of whole 32-bit words, empty for none.
    pub fn audio_packet(&mut self, opus: &[u8], extension: &[u8]) -> Vec<u8> {
        self.audio_packet_with(opus, &[], extension)
    }

    /// Like [`VoiceClient::audio_packet`], with `csrcs` after the fixed header (CC = their
    /// number, at most 15).
    pub fn audio_packet_with(&mut self, opus: &[u8], csrcs: &[u32], extension: &[u8]) -> Vec<u8> {
        let cc = u8::try_from(csrcs.len()).ok().filter(|n| *n < 16).expect("at most 15 CSRCs");
        let mut prefix = vec![if extension.is_empty() { 0x80 } else { 0x90 } | cc, 0x78];
        prefix.extend_from_slice(&self.sequence.to_be_bytes());
        prefix.extend_from_slice(&self.timestamp.to_be_bytes());
        prefix.extend_from_slice(&self.ssrc.to_be_bytes());
        for csrc in csrcs {
            prefix.extend_from_slice(&csrc.to_be_bytes());
        }
        let mut plaintext = Vec::new();
        if !extension.is_empty() {
            let words = u16::try_from(extension.len() / 4).expect("extension length");
            prefix.extend_from_slice(&[0xBE, 0xDE]);
            prefix.extend_from_slice(&words.to_be_bytes());
            plaintext.extend_from_slice(extension);
        }
        plaintext.extend_from_slice(opus);
        let mut packet = Vec::new();
        self.cipher.seal(&prefix, &plaintext, self.counter, &mut packet).expect("seal");
        self.counter = self.counter.wrapping_add(1);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(960);
        packet
    }

    /// Sends raw bytes to the voice server's UDP port.
    pub async fn send_raw(&self, bytes: &[u8]) {
        self.udp.send_to(bytes, self.media).await.expect("send udp");
    }

    /// The next RTP packet this client receives, decrypted with its own key: the header and
    /// the plaintext (extension body, if any, then the Opus frame). `None` after `timeout`.
    pub async fn recv_audio(&mut self, timeout: Duration) -> Option<(rtp::RtpHeader, Vec<u8>)> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buf = vec![0u8; 2048];
        loop {
            let (n, _) = tokio::time::timeout_at(deadline, self.udp.recv_from(&mut buf)).await.ok()?.ok()?;
            let data = &buf[..n];
            let Ok(header) = rtp::parse_rtp(data) else { continue };
            let mut plaintext = Vec::new();
            self.cipher.open(data, header.prefix_len, &mut plaintext).expect("a forwarded packet decrypts with my key");
            return Some((header, plaintext));
        }
    }

    /// The next datagram this client receives, as it came (still encrypted); `None` after
    /// `timeout`.
    pub async fn recv_raw(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 2048];
        let (n, _) = tokio::time::timeout(timeout, self.udp.recv_from(&mut buf)).await.ok()?.ok()?;
        buf.truncate(n);
        Some(buf)
    }

    /// A datagram already waiting in the UDP socket, without waiting for one. On loopback a
    /// datagram is queued by the time the server's `send_to` returns, so after a later packet
    /// of the same server thread was seen elsewhere this tells whether an earlier one was sent
    /// here.
    pub fn try_recv_raw(&self) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 2048];
        let (n, _) = self.udp.try_recv_from(&mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    /// The next server text frame exactly as sent, heartbeat ACKs included (other messages are
    /// also recorded in [`VoiceClient::messages`]); `None` after `timeout` or a close.
    pub async fn next_text(&mut self, timeout: Duration) -> Option<String> {
        let text = match next_event(&mut self.ws, timeout).await {
            WsEvent::Text(text) => text,
            WsEvent::Closed(_) | WsEvent::Timeout => return None,
        };
        let message: Value = serde_json::from_str(&text).expect("voice message is JSON");
        if message["op"] != 6 {
            self.note(&message);
            self.messages.push(message);
        }
        Some(text)
    }

    /// The highest v8 `seq` received so far (`None` before any, and always on v4).
    pub fn last_seq(&self) -> Option<u64> {
        self.messages.iter().filter_map(|m| m["seq"].as_u64()).max()
    }

    /// Ends the TCP connection under the WebSocket (a FIN, no close frame, no TLS
    /// close_notify), as a network drop looks to the server; the UDP socket stays. Follow with
    /// [`VoiceClient::resume`].
    pub async fn sever(&mut self) {
        use tokio::io::AsyncWriteExt;
        match self.ws.get_mut() {
            MaybeTlsStream::Rustls(tls) => {
                let _ = tls.get_mut().0.shutdown().await;
            }
            MaybeTlsStream::Plain(tcp) => {
                let _ = tcp.shutdown().await;
            }
            _ => panic!("unexpected stream kind"),
        }
    }

    /// Opens a new voice WebSocket (`wss://{endpoint}?v={version}`) and sends op 7 RESUME for
    /// `join` with `seq_ack`. `Ok` once RESUMED (op 9) came, and the new WebSocket replaces the
    /// old one (the replay, if any, follows: read it with [`VoiceClient::next_message`]);
    /// `Err(close code)` if the server refused.
    pub async fn resume(
        &mut self,
        ca: &Path,
        join: &VoiceJoin,
        version: u8,
        seq_ack: Option<u64>,
    ) -> Result<(), Option<u16>> {
        let mut socket = VoiceSocket::connect(ca, &format!("wss://{}?v={version}", join.endpoint)).await;
        let hello = socket.next_json(WAIT).await.expect("HELLO");
        assert_eq!(hello["op"], 8, "HELLO first: {hello}");
        socket
            .send_json(&json!({"op": 7, "d": {"server_id": join.guild_id, "session_id": join.session_id,
                "token": join.token, "seq_ack": seq_ack}}))
            .await;
        match socket.next_event(WAIT).await {
            WsEvent::Text(text) => {
                let message: Value = serde_json::from_str(&text).expect("voice message is JSON");
                assert_eq!(message, json!({"op": 9, "d": null}), "RESUMED answers RESUME");
                self.ws = socket.ws;
                Ok(())
            }
            WsEvent::Closed(code) => Err(code),
            WsEvent::Timeout => panic!("no answer to RESUME"),
        }
    }

    /// Counts the packets that arrive within `window`.
    pub async fn count_audio(&mut self, window: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + window;
        let mut n = 0;
        while let Some(left) = deadline.checked_duration_since(tokio::time::Instant::now()) {
            if self.recv_audio(left).await.is_none() {
                break;
            }
            n += 1;
        }
        n
    }
}

/// What a voice WebSocket produced next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// A text frame.
    Text(String),
    /// The server closed (with its close code, if any), or the connection ended.
    Closed(Option<u16>),
    /// Nothing within the time given.
    Timeout,
}

async fn next_event(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>, timeout: Duration) -> WsEvent {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return WsEvent::Timeout,
            Ok(Some(Ok(Message::Text(text)))) => return WsEvent::Text(text.as_str().to_owned()),
            Ok(Some(Ok(Message::Close(frame)))) => return WsEvent::Closed(frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return WsEvent::Closed(None),
        }
    }
}

/// A bare voice WebSocket over TLS, for tests of the signalling itself (HELLO, versions,
/// refused IDENTIFY/RESUME, heartbeat formats, a handshake left half done).
pub struct VoiceSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl std::fmt::Debug for VoiceSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceSocket").finish_non_exhaustive()
    }
}

impl VoiceSocket {
    /// Connects to exactly `url` (`wss://host:port/voice…`) trusting only `ca`.
    pub async fn connect(ca: &Path, url: &str) -> Self {
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(tls_connector(ca))),
        )
        .await
        .unwrap_or_else(|_| panic!("connecting to {url} timed out"))
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        Self { ws }
    }

    /// Sends a JSON text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.ws.send(Message::text(value.to_string())).await.expect("send voice message");
    }

    /// The next text frame, close or timeout.
    pub async fn next_event(&mut self, timeout: Duration) -> WsEvent {
        next_event(&mut self.ws, timeout).await
    }

    /// The next text frame parsed, or `None` after `timeout` or a close.
    pub async fn next_json(&mut self, timeout: Duration) -> Option<Value> {
        match self.next_event(timeout).await {
            WsEvent::Text(text) => Some(serde_json::from_str(&text).expect("voice message is JSON")),
            WsEvent::Closed(_) | WsEvent::Timeout => None,
        }
    }

    /// The next message with `op`, skipping others (heartbeat ACKs, relays); `None` after
    /// `timeout` or a close.
    pub async fn next_op(&mut self, op: u64, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_json(left).await?;
            if message["op"] == op {
                return Some(message);
            }
        }
    }

    /// The close code the server ends the connection with, skipping text frames: `None` if
    /// it ended without a close frame; panics if it is still open after `timeout`.
    pub async fn expect_close(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                WsEvent::Text(_) => {}
                WsEvent::Closed(code) => return code,
                WsEvent::Timeout => panic!("the voice server did not close within {timeout:?}"),
            }
        }
    }

    /// Sends IDENTIFY for `join` (as [`VoiceClient::connect`] does).
    pub async fn identify(&mut self, join: &VoiceJoin) {
        self.send_json(&json!({"op": 0, "d": {"server_id": join.guild_id, "user_id": join.user_id,
            "session_id": join.session_id, "token": join.token, "max_dave_protocol_version": 0}}))
            .await;
    }
}

async fn next_message(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Option<Value> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).expect("voice message is JSON"));
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn next_json(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> (String, Value) {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.expect("voice message in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value = serde_json::from_str(text.as_str()).expect("voice message is JSON");
                return (text.as_str().to_owned(), value);
            }
            Some(Ok(Message::Close(frame))) => panic!("voice WebSocket closed during the handshake: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("voice WebSocket: {e}"),
            None => panic!("voice WebSocket ended during the handshake"),
        }
    }
}
