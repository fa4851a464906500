//! Just enough STUN (RFC 8489) to route a browser's first ICE check to its peer connection:
//! a binding request's USERNAME is `<our ufrag>:<their ufrag>` (RFC 8445 §7.2.2), and the
//! ufrag is unique per peer connection. Everything else about the message (integrity,
//! fingerprint, the answer) is str0m's business.

/// The magic cookie every RFC 5389+ STUN message carries at bytes 4..8.
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const HEADER_LEN: usize = 20;
const USERNAME: u16 = 0x0006;

/// A STUN message: the two top bits zero, the cookie in place, and a length that is a
/// multiple of 4 matching the datagram. Discord's 74-byte IP discovery packet fails the last
/// test (its length field says 70), so the two never mix.
pub(crate) fn is_stun(data: &[u8]) -> bool {
    data.len() >= HEADER_LEN
        && data[0] & 0xC0 == 0
        && data[4..8] == MAGIC_COOKIE
        && usize::from(u16::from_be_bytes([data[2], data[3]])) == data.len() - HEADER_LEN
        && data.len().is_multiple_of(4)
}

/// The local (our) ufrag of a binding request's USERNAME, if the message has one.
pub(crate) fn local_ufrag(data: &[u8]) -> Option<&str> {
    if !is_stun(data) {
        return None;
    }
    let mut rest = &data[HEADER_LEN..];
    while rest.len() >= 4 {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let value = rest.get(4..4 + len)?;
        if kind == USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            return username.split_once(':').map(|(local, _)| local);
        }
        // Values are padded to a multiple of 4.
        rest = rest.get(4 + len.div_ceil(4) * 4..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, value) in attrs {
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            body.resize(body.len().div_ceil(4) * 4, 0);
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn reads_the_local_ufrag_after_other_attributes() {
        let m = binding(&[(0x0024, &[0, 0, 0, 1]), (0x8022, b"x"), (USERNAME, b"srvF:cl1")]);
        assert!(is_stun(&m));
        assert_eq!(local_ufrag(&m), Some("srvF"));
    }

    #[test]
    fn refuses_non_stun_and_broken_attributes() {
        assert_eq!(local_ufrag(&binding(&[(0x0024, &[0, 0, 0, 1])])), None, "no USERNAME");
        assert_eq!(local_ufrag(&binding(&[(USERNAME, b"nocolon")])), None);
        let discovery = crate::discovery::request(0x2112_A442);
        assert!(!is_stun(&discovery), "IP discovery is never STUN, whatever its SSRC");
        let mut truncated = binding(&[(USERNAME, b"abcd:efgh")]);
        truncated[23] = 200; // attribute length past the end
        assert_eq!(local_ufrag(&truncated), None);
        assert!(!is_stun(&[0u8; 19]));
        let mut rtp = binding(&[]);
        rtp[0] = 0x80;
        assert!(!is_stun(&rtp));
    }
}
