//! Socket helpers shared by the modes: many client sockets from one box.

use std::net::{Ipv4Addr, SocketAddr};
use tokio::net::{TcpSocket, TcpStream};

/// Connections per loopback source address: well under the ~28k ephemeral ports of the default
/// `ip_local_port_range`, so 100k sessions spread over 127.0.0.1–127.0.0.5 and more.
const PER_SOURCE: usize = 20_000;

/// The loopback source address for the `i`-th client connection (127.0.0.1, then .2, …).
pub(crate) fn source_ip(i: usize) -> Ipv4Addr {
    let n = (i / PER_SOURCE) as u32 + 1;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + n.min(254))
}

/// Connects the `i`-th client connection from its own loopback source address.
pub(crate) async fn connect(i: usize, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source_ip(i), 0)))?;
    let stream = socket.connect(to).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Raises the soft open-file limit to the hard one: every session is a socket.
pub(crate) fn raise_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            eprintln!("loadgen: cannot raise the open-file limit: {e}");
        }
    }
}

/// The open-file limit in force (sessions beyond it cannot be opened by one process).
pub(crate) fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// A free loopback port (bound then released: another process could take it first, which only
/// makes a benchmark fail to start).
pub(crate) fn free_tcp_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A free loopback UDP port, as [`free_tcp_port`].
pub(crate) fn free_udp_port() -> std::io::Result<u16> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_spread_over_loopback_addresses() {
        assert_eq!(source_ip(0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_ip(PER_SOURCE - 1), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_ip(PER_SOURCE), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(source_ip(5 * PER_SOURCE), Ipv4Addr::new(127, 0, 0, 6));
    }
}
