//! UDP IP discovery (protocol.md §6.5): a client sends a 74-byte request with its SSRC; the
//! server answers from the media socket with the address and port it saw the request come from,
//! which the client then puts in SELECT_PROTOCOL.
//!
//! Layout, integers big-endian: type u16 (1 request, 2 response), length u16 = 70, SSRC u32,
//! 64-byte NUL-padded ASCII IP, port u16. discord.py accepts a reply only if `data[1] == 2` and it
//! is exactly 74 bytes long; discord.js and songbird read the address up to the first NUL and the
//! port from the last two bytes.

use std::net::{IpAddr, SocketAddr};

/// Size of a request and of a response.
pub const PACKET_LEN: usize = 74;
/// The length field: bytes after it.
const BODY_LEN: u16 = 70;
const TYPE_REQUEST: u16 = 1;
const TYPE_RESPONSE: u16 = 2;
const ADDRESS: std::ops::Range<usize> = 8..72;

/// The SSRC of a valid discovery request.
pub fn parse_request(data: &[u8]) -> Option<u32> {
    parse_header(data, TYPE_REQUEST)
}

/// A request as a client sends it (for tests and load generators).
pub fn request(ssrc: u32) -> [u8; PACKET_LEN] {
    header(TYPE_REQUEST, ssrc)
}

/// The server's answer to a request from `addr`.
pub fn response(ssrc: u32, addr: SocketAddr) -> [u8; PACKET_LEN] {
    let mut packet = header(TYPE_RESPONSE, ssrc);
    // A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`; the client knows itself by its
    // IPv4 address and will connect with it, so answer in that form.
    let ip = addr.ip().to_canonical().to_string();
    // The longest IPv6 text is 45 bytes, so the address always fits with a terminating NUL.
    let len = ip.len().min(ADDRESS.len() - 1);
    packet[ADDRESS.start..ADDRESS.start + len].copy_from_slice(&ip.as_bytes()[..len]);
    packet[72..].copy_from_slice(&addr.port().to_be_bytes());
    packet
}

/// A response as a client reads it: the SSRC and the address the server saw.
pub fn parse_response(data: &[u8]) -> Option<(u32, SocketAddr)> {
    let ssrc = parse_header(data, TYPE_RESPONSE)?;
    let field = &data[ADDRESS];
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let ip: IpAddr = std::str::from_utf8(&field[..end]).ok()?.parse().ok()?;
    let port = u16::from_be_bytes([data[72], data[73]]);
    Some((ssrc, SocketAddr::new(ip, port)))
}

fn header(kind: u16, ssrc: u32) -> [u8; PACKET_LEN] {
    let mut packet = [0u8; PACKET_LEN];
    packet[0..2].copy_from_slice(&kind.to_be_bytes());
    packet[2..4].copy_from_slice(&BODY_LEN.to_be_bytes());
    packet[4..8].copy_from_slice(&ssrc.to_be_bytes());
    packet
}

fn parse_header(data: &[u8], kind: u16) -> Option<u32> {
    if data.len() != PACKET_LEN
        || u16::from_be_bytes([data[0], data[1]]) != kind
        || u16::from_be_bytes([data[2], data[3]]) != BODY_LEN
    {
        return None;
    }
    Some(u32::from_be_bytes([data[4], data[5], data[6], data[7]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let packet = request(0x0102_0304);
        assert_eq!(&packet[..8], &[0, 1, 0, 70, 1, 2, 3, 4]);
        assert!(packet[8..].iter().all(|&b| b == 0));
        assert_eq!(parse_request(&packet), Some(0x0102_0304));
        assert_eq!(parse_response(&packet), None);
        assert_eq!(parse_request(&packet[..73]), None);
        let mut long = packet.to_vec();
        long.push(0);
        assert_eq!(parse_request(&long), None);
        let mut bad_len = packet;
        bad_len[3] = 69;
        assert_eq!(parse_request(&bad_len), None);
    }

    #[test]
    fn response_ipv4() {
        let addr: SocketAddr = "203.0.113.7:50004".parse().unwrap();
        let packet = response(42, addr);
        assert_eq!(packet.len(), 74);
        assert_eq!(packet[1], 0x02, "discord.py checks data[1] == 2");
        assert_eq!(&packet[..8], &[0, 2, 0, 70, 0, 0, 0, 42]);
        assert_eq!(&packet[8..19], b"203.0.113.7");
        assert!(packet[19..72].iter().all(|&b| b == 0));
        assert_eq!(&packet[72..], &50004u16.to_be_bytes());
        assert_eq!(parse_response(&packet), Some((42, addr)));
        assert_eq!(parse_request(&packet), None);
    }

    #[test]
    fn response_ipv6_and_mapped() {
        let addr: SocketAddr = "[2001:db8::1234:5678]:65535".parse().unwrap();
        let packet = response(7, addr);
        assert_eq!(&packet[8..28], b"2001:db8::1234:5678\0");
        assert_eq!(parse_response(&packet), Some((7, addr)));

        let longest: SocketAddr = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1".parse().unwrap();
        assert_eq!(parse_response(&response(7, longest)), Some((7, longest)));

        let mapped: SocketAddr = "[::ffff:198.51.100.2]:1234".parse().unwrap();
        let packet = response(7, mapped);
        assert_eq!(&packet[8..21], b"198.51.100.2\0");
        assert_eq!(parse_response(&packet), Some((7, "198.51.100.2:1234".parse().unwrap())));
    }

    #[test]
    fn response_garbage_address() {
        let mut packet = response(1, "127.0.0.1:1".parse().unwrap());
        packet[8] = b'x';
        assert_eq!(parse_response(&packet), None);
        packet[8..72].fill(b'1');
        assert_eq!(parse_response(&packet), None);
    }
}
