//! One voice participant's handshake, as a real client does it (protocol.md §6.1): a gateway
//! session (intent GUILD_VOICE_STATES) sends op 4, waits for its VOICE_STATE_UPDATE and then
//! VOICE_SERVER_UPDATE, opens the voice WebSocket over TLS at the endpoint given (trusting the
//! server's generated CA), IDENTIFY → READY, UDP IP discovery, SELECT_PROTOCOL, and reads the
//! key from SESSION_DESCRIPTION. Both WebSockets then stay open in background tasks that
//! heartbeat and drain them, so the server keeps the voice state and session for the whole run.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use guildhall_voice_proto::crypto::Mode;
use guildhall_voice_proto::discovery;
use serde_json::{Value, json};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::voice::webrtc_client::WebClient;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Intent bit 7: the session receives voice state updates (its own included).
const GUILD_VOICE_STATES: u64 = 1 << 7;
/// How long any one handshake step may take.
const STEP: Duration = Duration::from_secs(30);

/// What a participant needs to join.
#[derive(Clone, Debug)]
pub(crate) struct JoinSpec {
    pub(crate) gateway_url: String,
    pub(crate) guild_id: String,
    pub(crate) channel_id: String,
    pub(crate) user_id: String,
    pub(crate) token: String,
    pub(crate) mode: Mode,
}

/// A participant after SESSION_DESCRIPTION: its UDP socket (which did discovery), SSRC, key
/// and the tasks keeping its two WebSockets alive (aborted on drop).
#[derive(Debug)]
pub(crate) struct Joined {
    /// A plain (non-blocking) std socket, no longer registered with tokio: the listener
    /// threads drain it on their own schedule (see `voice_media`), and a socket nobody waits
    /// on costs the sender (the server, on loopback) no wakeup per datagram.
    pub(crate) udp: Arc<std::net::UdpSocket>,
    pub(crate) ssrc: u32,
    pub(crate) mode: Mode,
    /// SESSION_DESCRIPTION `secret_key`.
    pub(crate) key: [u8; 32],
    pub(crate) media: SocketAddr,
    keepers: Vec<JoinHandle<()>>,
    voice_tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Drop for Joined {
    fn drop(&mut self) {
        for task in &self.keepers {
            task.abort();
        }
    }
}

impl Joined {
    /// Sends op 5 SPEAKING (microphone) as clients do before their first packet.
    pub(crate) fn speaking(&self) {
        let _ = self.voice_tx.send(json!({"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": self.ssrc}}).to_string());
    }
}

/// A rustls connector trusting only the PEM CA at `ca`.
pub(crate) fn tls_connector(ca: &Path) -> anyhow::Result<Connector> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).context("reading the server CA")? {
        roots.add(cert.context("CA PEM")?)?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// Everything up to READY: the gateway session (kept alive in the background from here on) and
/// the voice WebSocket that received READY.
struct Handshake {
    voice: Ws,
    heartbeat: Duration,
    ready: Value,
    gateway_keeper: JoinHandle<()>,
}

async fn handshake(spec: &JoinSpec, tls: &Connector) -> anyhow::Result<Handshake> {
    let (mut gateway, _) = tokio_tungstenite::connect_async(&spec.gateway_url).await.context("gateway connect")?;
    let hello = next_json(&mut gateway).await?;
    let interval = hello["d"]["heartbeat_interval"].as_u64().context("HELLO without heartbeat_interval")?;
    let identify = json!({"op": 2, "d": {"token": spec.token, "intents": GUILD_VOICE_STATES,
        "properties": {"os": "linux", "browser": "loadgen", "device": "loadgen"}}});
    gateway.send(Message::text(identify.to_string())).await?;
    loop {
        let frame = next_json(&mut gateway).await?;
        match (frame["op"].as_u64(), frame["t"].as_str()) {
            (Some(0), Some("READY")) => break,
            (Some(9), _) => bail!("gateway refused IDENTIFY (invalid session)"),
            _ => {}
        }
    }
    let op4 = json!({"op": 4, "d": {"guild_id": spec.guild_id, "channel_id": spec.channel_id,
        "self_mute": false, "self_deaf": false}});
    gateway.send(Message::text(op4.to_string())).await?;
    let mut session_id = None;
    let (token, endpoint) = loop {
        let frame = next_json(&mut gateway).await?;
        match frame["t"].as_str() {
            Some("VOICE_STATE_UPDATE") if frame["d"]["user_id"] == spec.user_id.as_str() => {
                session_id = frame["d"]["session_id"].as_str().map(str::to_owned);
            }
            Some("VOICE_SERVER_UPDATE") => {
                let token = frame["d"]["token"].as_str().context("no voice token")?.to_owned();
                let endpoint = frame["d"]["endpoint"].as_str().context("no voice endpoint")?.to_owned();
                break (token, endpoint);
            }
            _ => {}
        }
    };
    let session_id = session_id.context("VOICE_SERVER_UPDATE before this user's VOICE_STATE_UPDATE")?;
    let gateway_keeper = tokio::spawn(keep_gateway(gateway, Duration::from_millis(interval)));

    let url = format!("wss://{endpoint}?v=4");
    let (mut voice, _) = tokio::time::timeout(
        STEP,
        tokio_tungstenite::connect_async_tls_with_config(&url, None, true, Some(tls.clone())),
    )
    .await
    .context("voice WebSocket connect timed out")?
    .with_context(|| format!("voice WebSocket {url}"))?;
    let identify = json!({"op": 0, "d": {"server_id": spec.guild_id, "user_id": spec.user_id,
        "session_id": session_id, "token": token, "max_dave_protocol_version": 0}});
    voice.send(Message::text(identify.to_string())).await?;
    let mut heartbeat = Duration::from_millis(13_750);
    let ready = loop {
        let message = next_json(&mut voice).await?;
        match message["op"].as_u64() {
            Some(8) => {
                heartbeat =
                    Duration::from_millis(message["d"]["heartbeat_interval"].as_f64().unwrap_or(13_750.0) as u64)
            }
            Some(2) => break message["d"].clone(),
            _ => {}
        }
    };
    Ok(Handshake { voice, heartbeat, ready, gateway_keeper })
}

/// Runs the whole handshake for one native participant.
pub(crate) async fn join(spec: &JoinSpec, tls: &Connector) -> anyhow::Result<Joined> {
    let Handshake { mut voice, heartbeat, ready, gateway_keeper } = handshake(spec, tls).await?;
    let ssrc = ready["ssrc"].as_u64().and_then(|s| u32::try_from(s).ok()).context("READY ssrc")?;
    let media: SocketAddr = format!("{}:{}", ready["ip"].as_str().context("READY ip")?, ready["port"]).parse()?;
    let udp = UdpSocket::bind("127.0.0.1:0").await?;
    let seen = discover(&udp, ssrc, media).await?;
    let select = json!({"op": 1, "d": {"protocol": "udp", "data": {"address": seen.ip().to_string(),
        "port": seen.port(), "mode": spec.mode.as_str()}}});
    voice.send(Message::text(select.to_string())).await?;
    let description = session_description(&mut voice).await?;
    let key: Vec<u8> = description["secret_key"]
        .as_array()
        .context("SESSION_DESCRIPTION without secret_key")?
        .iter()
        .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect();
    let key: [u8; 32] = key.try_into().ok().context("secret_key is not 32 bytes")?;
    let (voice_tx, voice_rx) = tokio::sync::mpsc::unbounded_channel();
    let voice_keeper = tokio::spawn(keep_voice(voice, heartbeat, voice_rx));
    Ok(Joined {
        udp: Arc::new(udp.into_std()?),
        ssrc,
        mode: spec.mode,
        key,
        media,
        keepers: vec![gateway_keeper, voice_keeper],
        voice_tx,
    })
}

/// A participant that joined through WebRTC: its str0m client (connected later, by the
/// media thread) and the tasks keeping its WebSockets alive.
#[derive(Debug)]
pub(crate) struct JoinedWeb {
    /// Taken by the media thread.
    pub(crate) client: Option<WebClient>,
    pub(crate) ssrc: u32,
    keepers: Vec<JoinHandle<()>>,
    voice_tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Drop for JoinedWeb {
    fn drop(&mut self) {
        for task in &self.keepers {
            task.abort();
        }
    }
}

impl JoinedWeb {
    /// Sends op 5 SPEAKING (microphone), as the web client does once connected.
    pub(crate) fn speaking(&self) {
        let _ = self.voice_tx.send(json!({"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": self.ssrc}}).to_string());
    }
}

/// The handshake of a browser: READY, then SELECT_PROTOCOL `webrtc` with an offer of one
/// microphone and `audio_slots` receive m-lines, and SESSION_DESCRIPTION's answer.
pub(crate) async fn join_webrtc(spec: &JoinSpec, tls: &Connector, audio_slots: usize) -> anyhow::Result<JoinedWeb> {
    let Handshake { mut voice, heartbeat, ready, gateway_keeper } = handshake(spec, tls).await?;
    let ssrc = ready["ssrc"].as_u64().and_then(|s| u32::try_from(s).ok()).context("READY ssrc")?;
    let (mut client, offer, pending) = WebClient::offering(std::net::Ipv4Addr::LOCALHOST.into(), audio_slots)?;
    let select = json!({"op": 1, "d": {"protocol": "webrtc", "data": offer}});
    voice.send(Message::text(select.to_string())).await?;
    let description = session_description(&mut voice).await?;
    let answer = description["sdp"].as_str().context("SESSION_DESCRIPTION without sdp")?;
    client.accept(pending, answer)?;
    let (voice_tx, voice_rx) = tokio::sync::mpsc::unbounded_channel();
    let voice_keeper = tokio::spawn(keep_voice(voice, heartbeat, voice_rx));
    Ok(JoinedWeb { client: Some(client), ssrc, keepers: vec![gateway_keeper, voice_keeper], voice_tx })
}

async fn session_description(voice: &mut Ws) -> anyhow::Result<Value> {
    loop {
        let message = next_json(voice).await?;
        if message["op"] == 4 {
            return Ok(message["d"].clone());
        }
    }
}

/// IP discovery: the 74-byte request until a reply comes (UDP may drop one under load).
async fn discover(udp: &UdpSocket, ssrc: u32, media: SocketAddr) -> anyhow::Result<SocketAddr> {
    let mut buf = [0u8; 128];
    for _ in 0..10 {
        udp.send_to(&discovery::request(ssrc), media).await?;
        if let Ok(Ok((n, _))) = tokio::time::timeout(Duration::from_secs(1), udp.recv_from(&mut buf)).await
            && let Some((reply, seen)) = discovery::parse_response(&buf[..n])
            && reply == ssrc
        {
            return Ok(seen);
        }
    }
    bail!("no IP discovery reply for SSRC {ssrc}")
}

/// Heartbeats the gateway session and throws its dispatches away unread (with hundreds of
/// participants every join is a VOICE_STATE_UPDATE to everyone; reading keeps the server's
/// queue for this session short, parsing would only burn the load generator's CPU).
async fn keep_gateway(ws: Ws, interval: Duration) {
    let (mut tx, mut rx) = ws.split();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if tx.send(Message::text(r#"{"op":1,"d":null}"#)).await.is_err() { return }
            }
            frame = rx.next() => if !matches!(frame, Some(Ok(_))) { return },
        }
    }
}

/// Heartbeats the voice WebSocket (v4: `{"op":3,"d":nonce}`), sends what the participant
/// queues (op 5) and drains what the server relays.
async fn keep_voice(ws: Ws, interval: Duration, mut outgoing: tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (mut tx, mut rx) = ws.split();
    let mut tick = tokio::time::interval(interval);
    let mut nonce = 1u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                nonce += 1;
                if tx.send(Message::text(format!(r#"{{"op":3,"d":{nonce}}}"#))).await.is_err() { return }
            }
            Some(text) = outgoing.recv() => if tx.send(Message::text(text)).await.is_err() { return },
            frame = rx.next() => if !matches!(frame, Some(Ok(_))) { return },
        }
    }
}

async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        match tokio::time::timeout(STEP, ws.next()).await.context("no message in time")? {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(text.as_str())?),
            Some(Ok(Message::Close(frame))) => bail!("closed during the handshake: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("connection ended during the handshake"),
        }
    }
}
