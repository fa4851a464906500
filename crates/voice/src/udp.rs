//! The UDP thread: owns the socket and the sans-IO [`Sfu`]. Signalling sends [`Command`]s; the
//! thread applies every queued command before it handles the next datagram, so a command is in
//! force for the first packet that arrives after it was sent. Each command also sends an empty
//! datagram to the socket from a private one, which wakes the thread to drain the queue even
//! when no media flows (the queue never grows while the server is silent).

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Instant;

use guildhall_voice_proto::crypto::Cipher;
use guildhall_voice_proto::sfu::{Sfu, Transmit};

/// A change to the SFU's participants.
#[derive(Debug)]
pub(crate) enum Command {
    Add { ssrc: u32, room: u64, user_id: u64 },
    Cipher { ssrc: u32, cipher: Cipher },
    Flags { ssrc: u32, muted: bool, deafened: bool },
    Room { ssrc: u32, room: u64 },
    Remove { ssrc: u32 },
}

/// The signalling side's handle on the UDP thread.
#[derive(Debug)]
pub(crate) struct SfuHandle {
    commands: Mutex<mpsc::Sender<Command>>,
    stop: Arc<AtomicBool>,
    /// Where the thread listens, and the socket that wakes it (its datagrams are empty, and
    /// the thread ignores empty datagrams from this address).
    wake: SocketAddr,
    waker: UdpSocket,
}

impl SfuHandle {
    pub(crate) fn send(&self, command: Command) {
        // A closed queue means the thread is gone (shutdown): nothing left to configure.
        let _ = self.commands.lock().unwrap_or_else(PoisonError::into_inner).send(command);
        self.wake();
    }

    fn wake(&self) {
        if let Err(error) = self.waker.send_to(&[], self.wake) {
            tracing::warn!(%error, "voice udp thread not woken");
        }
    }

    /// Stops the thread: it checks the flag after each datagram.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
    }
}

/// Largest datagram read: RTP of a 20 ms Opus frame is well under this, video later is ≤ MTU.
const MAX_DATAGRAM: usize = 2048;

/// Starts the thread that serves `socket`.
pub(crate) fn spawn(socket: UdpSocket) -> std::io::Result<SfuHandle> {
    let local = socket.local_addr()?;
    let wake = match local.ip() {
        ip if ip.is_unspecified() && local.is_ipv4() => SocketAddr::from(([127, 0, 0, 1], local.port())),
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, local.port())),
        _ => local,
    };
    let waker = UdpSocket::bind(SocketAddr::new(wake.ip(), 0))?;
    let waker_addr = waker.local_addr()?;
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new().name("voice-udp".into()).spawn(move || run(&socket, &rx, &flag, waker_addr))?;
    Ok(SfuHandle { commands: Mutex::new(tx), stop, wake, waker })
}

fn run(socket: &UdpSocket, commands: &mpsc::Receiver<Command>, stop: &AtomicBool, waker: SocketAddr) {
    let mut sfu = Sfu::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut out: Vec<Transmit> = Vec::new();
    loop {
        let received = socket.recv_from(&mut buf);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        while let Ok(command) = commands.try_recv() {
            apply(&mut sfu, command);
        }
        let (len, from) = match received {
            Ok(r) => r,
            Err(error) => {
                // ICMP port-unreachable from a client that went away surfaces here on Linux;
                // it concerns one peer, never the socket.
                tracing::trace!(%error, "voice udp receive");
                continue;
            }
        };
        if len == 0 && from == waker {
            continue;
        }
        sfu.handle(Instant::now(), from, &buf[..len], &mut out);
        for transmit in out.drain(..) {
            if let Err(error) = socket.send_to(&transmit.data, transmit.to) {
                tracing::trace!(%error, to = %transmit.to, "voice udp send");
            }
        }
    }
}

fn apply(sfu: &mut Sfu, command: Command) {
    match command {
        Command::Add { ssrc, room, user_id } => sfu.add(ssrc, room, user_id),
        Command::Cipher { ssrc, cipher } => sfu.set_cipher(ssrc, cipher),
        Command::Flags { ssrc, muted, deafened } => sfu.set_flags(ssrc, muted, deafened),
        Command::Room { ssrc, room } => sfu.set_room(ssrc, room),
        Command::Remove { ssrc } => sfu.remove(ssrc),
    }
}
