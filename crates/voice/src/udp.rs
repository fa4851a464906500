//! The UDP thread: owns the socket and the sans-IO [`Sfu`]. It reads datagrams in batches
//! (`recvmmsg`), lets the SFU write every answer into one reused [`Batch`], and sends the batch
//! with `sendmmsg`: a few syscalls per read instead of one per forwarded copy. Signalling sends
//! [`Command`]s; the thread applies every queued command before it handles the datagrams of a
//! read, so a command is in force for the first packet that arrives after it was sent. Each command also sends an empty
//! datagram to the socket from a private one, which wakes the thread to drain the queue even
//! when no media flows (the queue never grows while the server is silent).
//!
//! Browsers' WebRTC connections have timers (retransmissions, RTCP, pacing, ICE): while any
//! exists the thread waits in `poll` until the SFU's next deadline instead of blocking in
//! `recvmmsg`, and what the SFU has to tell clients ([`SfuEvent`]) goes to signalling.

use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Instant;

use guildhall_voice_proto::Error;
use guildhall_voice_proto::crypto::Cipher;
use guildhall_voice_proto::sfu::{Batch, Sfu, SfuEvent};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg};
use tokio::sync::oneshot;

/// A change to the SFU's participants.
#[derive(Debug)]
pub(crate) enum Command {
    Add {
        ssrc: u32,
        room: u64,
        user_id: u64,
    },
    Cipher {
        ssrc: u32,
        cipher: Cipher,
    },
    Flags {
        ssrc: u32,
        muted: bool,
        deafened: bool,
    },
    Room {
        ssrc: u32,
        room: u64,
    },
    Remove {
        ssrc: u32,
    },
    /// A browser's SDP offer; the answer (or why not) goes back on `reply`.
    Offer {
        ssrc: u32,
        sdp: String,
        reply: oneshot::Sender<Result<String, Error>>,
    },
    /// A browser's camera / screen went on or off.
    Video {
        ssrc: u32,
        camera: bool,
        screen: bool,
    },
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

/// Browsers' timers (RTCP, retransmissions, pacing, ICE) are served at most this often: str0m
/// asks for wakeups every few milliseconds per peer, and none of them needs better precision.
const TIMER_TICK: std::time::Duration = std::time::Duration::from_millis(5);

/// Datagrams read per `recvmmsg`: enough to amortise the syscall, small enough that the
/// answers to one read (up to a thousand listeners each) stay a bounded batch.
const RECV_BATCH: usize = 32;

/// Datagrams per `sendmmsg` (the kernel's UIO_MAXIOV caps one call at 1024).
const SEND_BATCH: usize = 1024;

/// Socket buffer size asked for: 1000 listeners × 3 speakers is 150k datagrams/s out, and a
/// scheduling hiccup of a few ms must not overflow the queues (the default ~200 KB holds about
/// 1 ms of that).
const SOCKET_BUFFER: usize = 8 << 20;

/// Starts the thread that serves `socket`, which browsers reach at `public` (the ICE
/// candidate); what the SFU has to tell clients goes to `events`.
pub(crate) fn spawn(
    socket: UdpSocket,
    public: SocketAddr,
    events: mpsc::Sender<SfuEvent>,
) -> std::io::Result<SfuHandle> {
    let local = socket.local_addr()?;
    let wake = match local.ip() {
        ip if ip.is_unspecified() && local.is_ipv4() => SocketAddr::from(([127, 0, 0, 1], local.port())),
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, local.port())),
        _ => local,
    };
    size_buffers(&socket);
    // The thread blocks in recvmmsg; a socket left non-blocking by its creator would spin.
    socket.set_nonblocking(false)?;
    let waker = UdpSocket::bind(SocketAddr::new(wake.ip(), 0))?;
    let waker_addr = waker.local_addr()?;
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("voice-udp".into())
        .spawn(move || run(&socket, &rx, &flag, waker_addr, public, &events))?;
    Ok(SfuHandle { commands: Mutex::new(tx), stop, wake, waker })
}

/// Raises SO_RCVBUF/SO_SNDBUF: first past `net.core.*mem_max` (the FORCE variants work when
/// the process may, e.g. as root in a container), else as far as the limit allows.
fn size_buffers(socket: &UdpSocket) {
    use nix::sys::socket::{getsockopt, setsockopt, sockopt};
    if setsockopt(socket, sockopt::RcvBufForce, &SOCKET_BUFFER).is_err() {
        let _ = setsockopt(socket, sockopt::RcvBuf, &SOCKET_BUFFER);
    }
    if setsockopt(socket, sockopt::SndBufForce, &SOCKET_BUFFER).is_err() {
        let _ = setsockopt(socket, sockopt::SndBuf, &SOCKET_BUFFER);
    }
    tracing::debug!(
        recv = ?getsockopt(socket, sockopt::RcvBuf),
        send = ?getsockopt(socket, sockopt::SndBuf),
        "voice udp buffers"
    );
}

fn run(
    socket: &UdpSocket,
    commands: &mpsc::Receiver<Command>,
    stop: &AtomicBool,
    waker: SocketAddr,
    public: SocketAddr,
    events: &mpsc::Sender<SfuEvent>,
) {
    let mut sfu = Sfu::new();
    sfu.set_local(public);
    let mut bufs = vec![[0u8; MAX_DATAGRAM]; RECV_BATCH];
    let mut received: Vec<(usize, Option<SocketAddr>)> = Vec::with_capacity(RECV_BATCH);
    let mut recv_headers = MultiHeaders::<SockaddrStorage>::preallocate(RECV_BATCH, None);
    let mut send_headers = MultiHeaders::<SockaddrStorage>::preallocate(SEND_BATCH, None);
    let mut addrs: Vec<Option<SockaddrStorage>> = Vec::with_capacity(SEND_BATCH);
    let mut out = Batch::new();
    let mut last_timers = Instant::now();
    loop {
        received.clear();
        // Native participants need no timers: block until a datagram comes. With browsers
        // connected, wait no longer than their next deadline — coalesced to one pass per
        // TIMER_TICK, so a hundred peers' timers cost one wakeup, not a hundred.
        let deadline = sfu.poll_timeout().map(|at| at.max(last_timers + TIMER_TICK));
        let flags = match deadline {
            None => MsgFlags::MSG_WAITFORONE,
            Some(at) if readable_before(socket, at) => MsgFlags::MSG_DONTWAIT,
            Some(_) => MsgFlags::empty(),
        };
        let result = if flags.is_empty() {
            Ok(())
        } else {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
            // WAITFORONE: block for the first datagram, then take what is already queued.
            recvmmsg(socket.as_raw_fd(), &mut recv_headers, slices.iter_mut(), flags, None)
                .map(|msgs| received.extend(msgs.map(|m| (m.bytes, m.address.and_then(|a| socket_addr(&a))))))
        };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        // Commands sent before these datagrams were read are in force for all of them.
        while let Ok(command) = commands.try_recv() {
            apply(&mut sfu, command, now);
        }
        out.clear();
        match result {
            // ICMP port-unreachable from a client that went away surfaces here on Linux;
            // it concerns one peer, never the socket.
            Err(error) => tracing::trace!(%error, "voice udp receive"),
            Ok(()) => {
                for (buf, &(len, from)) in bufs.iter().zip(&received) {
                    let Some(from) = from else { continue };
                    if len == 0 && from == waker {
                        continue;
                    }
                    sfu.handle_batch(now, from, &buf[..len.min(MAX_DATAGRAM)], &mut out);
                }
            }
        }
        sfu.flush(now, &mut out);
        if now >= last_timers + TIMER_TICK && sfu.poll_timeout().is_some_and(|at| at <= now) {
            sfu.handle_timeout(now, &mut out);
            last_timers = now;
        }
        send_all(socket, &out, &mut send_headers, &mut addrs);
        while let Some(event) = sfu.poll_event() {
            let _ = events.send(event);
        }
    }
}

/// Waits until the socket is readable or `deadline` passes; true if readable.
fn readable_before(socket: &UdpSocket, deadline: Instant) -> bool {
    use std::os::fd::AsFd;
    let wait = deadline.saturating_duration_since(Instant::now());
    // Rounded up, so the thread never wakes just before the deadline and spins.
    let ms = wait.as_micros().div_ceil(1000);
    let timeout = PollTimeout::try_from(ms.min(60_000)).unwrap_or(PollTimeout::MAX);
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, timeout), Ok(n) if n > 0)
}

/// Sends every datagram of `batch` with as few `sendmmsg` calls as the kernel allows.
fn send_all(
    socket: &UdpSocket,
    batch: &Batch,
    headers: &mut MultiHeaders<SockaddrStorage>,
    addrs: &mut Vec<Option<SockaddrStorage>>,
) {
    let mut next = 0;
    while next < batch.len() {
        let end = (next + SEND_BATCH).min(batch.len());
        addrs.clear();
        let mut slices: Vec<[IoSlice<'_>; 1]> = Vec::with_capacity(end - next);
        for (to, data) in batch.iter().skip(next).take(end - next) {
            addrs.push(Some(SockaddrStorage::from(to)));
            slices.push([IoSlice::new(data)]);
        }
        match sendmmsg(socket.as_raw_fd(), headers, slices.iter(), &addrs[..], [], MsgFlags::empty()) {
            // Fewer than asked means the kernel stopped early (a full queue): go on from there.
            Ok(sent) => next += sent.count().max(1),
            Err(error) => {
                // The first datagram failed (e.g. its peer's port is gone): skip it alone.
                tracing::trace!(%error, to = ?batch.get(next).map(|(to, _)| to), "voice udp send");
                next += 1;
            }
        }
    }
}

fn socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::V4(std::net::SocketAddrV4::from(*v4)));
    }
    addr.as_sockaddr_in6().map(|v6| SocketAddr::V6(std::net::SocketAddrV6::from(*v6)))
}

fn apply(sfu: &mut Sfu, command: Command, now: Instant) {
    match command {
        Command::Add { ssrc, room, user_id } => sfu.add(ssrc, room, user_id),
        Command::Cipher { ssrc, cipher } => sfu.set_cipher(ssrc, cipher),
        Command::Flags { ssrc, muted, deafened } => sfu.set_flags(ssrc, muted, deafened),
        Command::Room { ssrc, room } => sfu.set_room(ssrc, room),
        Command::Remove { ssrc } => sfu.remove(ssrc),
        Command::Offer { ssrc, sdp, reply } => {
            // The asker may have given up (its WebSocket closed): nothing to do then.
            let _ = reply.send(sfu.accept_offer(now, ssrc, &sdp));
        }
        Command::Video { ssrc, camera, screen } => sfu.set_video(ssrc, camera, screen),
    }
}
