//! The voice server (architecture.md "voice"): signalling plus an SFU, split like Discord's.
//!
//! - [`VoiceNode`] is the component core talks to through [`guildhall_core::VoiceServer`]: it
//!   receives a [`VoiceGrant`] for every voice state change and enforces it at once (tokens for
//!   IDENTIFY, rooms, server mute/deafen, disconnects).
//! - [`routes`] serves the voice WebSocket (`/voice` and `/voice/`, `?v=4…8`); each connection is
//!   a task driving the sans-IO [`guildhall_voice_proto::signal::Connection`].
//! - One OS thread owns the UDP socket and the sans-IO [`guildhall_voice_proto::sfu::Sfu`]
//!   (sfu-stack.md §4: no per-packet work on the work-stealing runtime). Signalling reaches it
//!   through a command queue that the thread drains before handling each batch of datagrams it
//!   read (`recvmmsg`), so a mute or move is in force for the very next packet, and a silent
//!   server does no work at all.
//!
//! The boundary between signalling and SFU is that command queue: nothing else is shared, so
//! the SFU can later move to its own process.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use guildhall_core::{VoiceGrant, VoiceServer};
use guildhall_voice_proto::crypto::Mode;

mod control;
mod udp;
mod ws;

pub use ws::routes;

use control::Control;

/// Discord's usual voice heartbeat interval (protocol.md §6.1; client-libraries.md §6.1).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(13_750);

/// How long a voice session whose WebSocket dropped stays resumable (op 7) with its SSRC, key
/// and media flowing: clients resume on a new WebSocket and keep their UDP socket.
pub const DEFAULT_RESUME_WINDOW: Duration = Duration::from_secs(60);

/// How a voice server presents itself.
#[derive(Clone, Debug)]
pub struct VoiceConfig {
    /// Unique name in the directory.
    pub id: String,
    /// The region it serves.
    pub region: String,
    /// VOICE_SERVER_UPDATE's `endpoint`: `host:port/voice` of the TLS listener.
    pub endpoint: String,
    /// READY's `ip`: where clients send UDP (the socket's address unless it is unspecified).
    pub public_ip: Option<IpAddr>,
    /// READY's `modes`, in the server's order of preference (clients mostly take the first
    /// they support).
    pub modes: Vec<Mode>,
    /// HELLO's `heartbeat_interval`.
    pub heartbeat_interval: Duration,
    /// How long a dropped voice WebSocket may be resumed.
    pub resume_window: Duration,
}

impl VoiceConfig {
    /// Defaults for a server whose voice WebSocket is reached at `endpoint`.
    pub fn new(endpoint: String) -> Self {
        Self {
            id: "local".into(),
            region: "local".into(),
            endpoint,
            public_ip: None,
            modes: Mode::ALL.to_vec(),
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            resume_window: DEFAULT_RESUME_WINDOW,
        }
    }
}

/// The voice server of this process: its signalling state and the handle of its UDP thread.
#[derive(Debug, Clone)]
pub struct VoiceNode {
    control: Arc<Control>,
}

impl VoiceNode {
    /// Starts the UDP thread on `socket` and returns the node (register it with
    /// `core.voice_servers().register(...)` and serve [`routes`]).
    pub fn start(config: VoiceConfig, socket: UdpSocket) -> std::io::Result<Self> {
        let local = socket.local_addr()?;
        let public_ip = config.public_ip.unwrap_or(match local.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        });
        let media = SocketAddr::new(public_ip, local.port());
        let (events_tx, events) = std::sync::mpsc::channel();
        let sfu = udp::spawn(socket, media, events_tx)?;
        let control = Arc::new(Control::new(config, media, sfu));
        // The SFU's notices (receive slots for browsers) are rare (joins, leaves, cameras); a
        // plain thread routes them, and ends when the UDP thread does.
        let router = control.clone();
        std::thread::Builder::new().name("voice-events".into()).spawn(move || {
            while let Ok(event) = events.recv() {
                router.sfu_event(event);
            }
        })?;
        Ok(Self { control })
    }

    /// The UDP address READY announces.
    pub fn media_addr(&self) -> SocketAddr {
        self.control.media_addr()
    }

    /// Stops the UDP thread and closes every voice connection (4015: clients resume once the
    /// server is back).
    pub fn shutdown(&self) {
        self.control.shutdown();
    }
}

impl VoiceServer for VoiceNode {
    fn id(&self) -> &str {
        &self.control.config().id
    }

    fn region(&self) -> &str {
        &self.control.config().region
    }

    fn endpoint(&self) -> String {
        self.control.config().endpoint.clone()
    }

    fn load(&self) -> u64 {
        self.control.load()
    }

    fn apply(&self, grant: VoiceGrant) {
        self.control.apply(grant);
    }
}
