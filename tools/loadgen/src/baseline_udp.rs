//! The physical baseline for voice: a bare UDP forwarder on one OS thread, `recvmmsg` in,
//! `sendmmsg` out, no crypto and no copies (every outgoing datagram points at the received
//! buffer). A participant registers with one datagram naming its room; from then on every
//! datagram it sends goes to every *other* participant of that room, as guildhall's SFU does.
//! It runs as a child process of `loadgen voice` (hidden subcommand `baseline-udp`) so its CPU
//! is read from /proc like the server's; it prints its address on its first stdout line.

use std::collections::HashMap;
use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

use anyhow::Context;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg, setsockopt, sockopt};

/// Registration datagram: `MAGIC ‖ room (u64 BE)`; the forwarder echoes it back.
pub(crate) const MAGIC: &[u8; 4] = b"GHRG";
pub(crate) const REGISTER_LEN: usize = 12;

const RECV_BATCH: usize = 32;
const SEND_BATCH: usize = 1024;
const MAX_DATAGRAM: usize = 2048;
/// As guildhall's voice socket asks for.
const SOCKET_BUFFER: usize = 8 << 20;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
}

/// The registration datagram for `room`.
pub(crate) fn register(room: u64) -> [u8; REGISTER_LEN] {
    let mut d = [0u8; REGISTER_LEN];
    d[..4].copy_from_slice(MAGIC);
    d[4..].copy_from_slice(&room.to_be_bytes());
    d
}

pub(crate) async fn serve(args: Args) -> anyhow::Result<()> {
    let socket = UdpSocket::bind(args.bind).context("binding the baseline forwarder")?;
    if setsockopt(&socket, sockopt::RcvBufForce, &SOCKET_BUFFER).is_err() {
        let _ = setsockopt(&socket, sockopt::RcvBuf, &SOCKET_BUFFER);
    }
    if setsockopt(&socket, sockopt::SndBufForce, &SOCKET_BUFFER).is_err() {
        let _ = setsockopt(&socket, sockopt::SndBuf, &SOCKET_BUFFER);
    }
    println!("{}", socket.local_addr()?);
    tokio::task::spawn_blocking(move || forward(&socket)).await?
}

fn forward(socket: &UdpSocket) -> anyhow::Result<()> {
    let mut rooms: HashMap<u64, Vec<SocketAddr>> = HashMap::new();
    let mut members: HashMap<SocketAddr, u64> = HashMap::new();
    let mut bufs = vec![[0u8; MAX_DATAGRAM]; RECV_BATCH];
    let mut received: Vec<(usize, Option<SocketAddr>)> = Vec::with_capacity(RECV_BATCH);
    let mut recv_headers = MultiHeaders::<SockaddrStorage>::preallocate(RECV_BATCH, None);
    let mut send_headers = MultiHeaders::<SockaddrStorage>::preallocate(SEND_BATCH, None);
    // (index of the received buffer, destination) for every copy of this read.
    let mut copies: Vec<(usize, SockaddrStorage)> = Vec::new();
    loop {
        received.clear();
        {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
            match recvmmsg(socket.as_raw_fd(), &mut recv_headers, slices.iter_mut(), MsgFlags::MSG_WAITFORONE, None) {
                Ok(msgs) => received.extend(msgs.map(|m| (m.bytes, m.address.and_then(|a| to_std(&a))))),
                Err(_) => continue,
            }
        }
        copies.clear();
        for (i, &(len, from)) in received.iter().enumerate() {
            let Some(from) = from else { continue };
            let data = &bufs[i][..len.min(MAX_DATAGRAM)];
            if len == REGISTER_LEN && data.starts_with(MAGIC) {
                let room = u64::from_be_bytes(data[4..].try_into().unwrap_or_default());
                if members.insert(from, room).is_none() {
                    rooms.entry(room).or_default().push(from);
                }
                let _ = socket.send_to(data, from);
                continue;
            }
            let Some(room) = members.get(&from) else { continue };
            for &to in rooms.get(room).into_iter().flatten() {
                if to != from {
                    copies.push((i, SockaddrStorage::from(to)));
                }
            }
        }
        let mut next = 0;
        while next < copies.len() {
            let end = (next + SEND_BATCH).min(copies.len());
            let chunk = &copies[next..end];
            let slices: Vec<[IoSlice<'_>; 1]> =
                chunk.iter().map(|&(i, _)| [IoSlice::new(&bufs[i][..received[i].0.min(MAX_DATAGRAM)])]).collect();
            let addrs: Vec<Option<SockaddrStorage>> = chunk.iter().map(|&(_, a)| Some(a)).collect();
            match sendmmsg(socket.as_raw_fd(), &mut send_headers, slices.iter(), &addrs[..], [], MsgFlags::empty()) {
                Ok(sent) => next += sent.count().max(1),
                Err(_) => next += 1,
            }
        }
    }
}

fn to_std(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::V4(std::net::SocketAddrV4::from(*v4)));
    }
    addr.as_sockaddr_in6().map(|v6| SocketAddr::V6(std::net::SocketAddrV6::from(*v6)))
}
