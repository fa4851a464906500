//! Demultiplexing and RTP/RTCP header parsing (protocol.md §6.5, §6.6).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use guildhall_voice_proto::Error;
use guildhall_voice_proto::discovery;
use guildhall_voice_proto::rtp::{Kind, classify, parse_rtcp, parse_rtp};

/// A bot's plain packet: 12-byte header, 3-byte Opus frame, tag, counter.
fn plain_packet() -> Vec<u8> {
    let mut p = vec![0x80, 0x78, 0x00, 0x05, 0x00, 0x00, 0x03, 0xc0, 0x00, 0x00, 0x00, 0x2a];
    p.extend([0xf8, 0xff, 0xfe]);
    p.extend([0x11; 16]);
    p.extend([0, 0, 0, 1]);
    p
}

#[test]
fn classify_keepalives_never_rtp() {
    // discord.js: u32 LE counter + 4 zero bytes; songbird: u32 BE SSRC. Both may start with 0x80.
    assert_eq!(classify(&[0x80, 0x78, 0, 0, 0, 0, 0, 0]), Kind::Keepalive);
    assert_eq!(classify(&[1, 0, 0, 0, 0, 0, 0, 0]), Kind::Keepalive);
    assert_eq!(classify(&0x8000_0001u32.to_be_bytes()), Kind::Keepalive);
    assert_eq!(classify(&[0x80]), Kind::Keepalive);
    assert_eq!(classify(&[]), Kind::Unknown);
}

#[test]
fn classify_discovery_rtp_rtcp() {
    assert_eq!(classify(&discovery::request(9)), Kind::Discovery);
    // A response, or a request of the wrong length, is not something a client sends us.
    assert_eq!(classify(&discovery::response(9, "127.0.0.1:5".parse().unwrap())), Kind::Unknown);
    assert_eq!(classify(&discovery::request(9)[..73]), Kind::Unknown);
    assert_eq!(classify(&plain_packet()), Kind::Rtp);
    let mut rtcp = vec![0x81, 200, 0, 6];
    rtcp.extend(7u32.to_be_bytes());
    rtcp.extend([0; 20]);
    assert_eq!(classify(&rtcp), Kind::Rtcp);
    for second in [192, 200, 204, 223] {
        rtcp[1] = second;
        assert_eq!(classify(&rtcp), Kind::Rtcp, "{second}");
    }
    // Marker set + PT 120 is 0xf8: above RTCP's range, so RTP.
    for second in [0x78, 0xf8, 191, 224] {
        rtcp[1] = second;
        assert_eq!(classify(&rtcp), Kind::Rtp, "{second}");
    }
    // Versions other than 2.
    for first in [0x00, 0x40, 0xc0] {
        let mut p = plain_packet();
        p[0] = first;
        assert_eq!(classify(&p), Kind::Unknown);
    }
}

#[test]
fn parse_plain_header() {
    let h = parse_rtp(&plain_packet()).unwrap();
    assert!(!h.marker && !h.has_extension && !h.padding);
    assert_eq!((h.payload_type, h.sequence, h.timestamp, h.ssrc), (120, 5, 960, 42));
    assert_eq!((h.csrc_count, h.prefix_len, h.extension_len), (0, 12, 0));
    assert_eq!(h.payload(&[0xf8, 0xff, 0xfe]), Some(&[0xf8, 0xff, 0xfe][..]));

    let mut marked = plain_packet();
    marked[1] = 0xf8;
    let h = parse_rtp(&marked).unwrap();
    assert!(h.marker);
    assert_eq!(h.payload_type, 120);
}

#[test]
fn parse_csrcs_extension_padding() {
    // V=2, P=1, X=1, CC=3.
    let mut p = vec![0xb3, 0x78, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
    p.extend([0xaa; 12]);
    p.extend([0xbe, 0xde, 0x00, 0x02]);
    let body_at = p.len();
    p.extend([0; 8 + 3 + 16 + 4]);
    let h = parse_rtp(&p).unwrap();
    assert_eq!((h.csrc_count, h.has_extension, h.padding), (3, true, true));
    assert_eq!((h.extension_profile, h.extension_len, h.prefix_len), (0xbede, 8, 12 + 12 + 4));
    assert_eq!(h.prefix_len, body_at);
    // Plaintext = 8 bytes extension body, 1 byte payload, 2 bytes padding ending in its length.
    let plaintext = [1, 2, 3, 4, 5, 6, 7, 8, 0xf8, 0, 2];
    assert_eq!(h.payload(&plaintext), Some(&[0xf8][..]));
    assert_eq!(h.payload(&[1, 2, 3, 4, 5, 6, 7, 8, 0xf8, 0, 0]), None, "zero padding length");
    assert_eq!(h.payload(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), None, "padding longer than the payload");
    assert_eq!(h.payload(&[1, 2, 3]), None, "shorter than the extension body");

    // One byte short of the extension body + tag + counter.
    assert_eq!(parse_rtp(&p[..body_at + 8 + 20 - 1]), Err(Error::Truncated));
    assert!(parse_rtp(&p[..body_at + 8 + 20]).is_ok());
    // CSRCs or the preamble cut off.
    assert_eq!(parse_rtp(&p[..20]), Err(Error::Truncated));
    assert_eq!(parse_rtp(&p[..26]), Err(Error::Truncated));
}

#[test]
fn parse_rtp_refuses() {
    let p = plain_packet();
    assert_eq!(parse_rtp(&p[..11]), Err(Error::Truncated));
    assert_eq!(parse_rtp(&p[..12 + 19]), Err(Error::Truncated));
    let mut v1 = p.clone();
    v1[0] = 0x40;
    assert_eq!(parse_rtp(&v1), Err(Error::NotRtp));
    let mut rtcp = p;
    rtcp[1] = 201;
    assert_eq!(parse_rtp(&rtcp), Err(Error::NotRtp));
}

#[test]
fn parse_rtcp_header() {
    let mut rr = vec![0x81, 201, 0, 7];
    rr.extend(0xdead_beefu32.to_be_bytes());
    let h = parse_rtcp(&rr).unwrap();
    assert_eq!((h.packet_type, h.sender_ssrc), (201, 0xdead_beef));
    assert_eq!(parse_rtcp(&rr[..7]), Err(Error::Truncated));
    rr[1] = 0x78;
    assert_eq!(parse_rtcp(&rr), Err(Error::NotRtp));
    rr[1] = 201;
    rr[0] = 0x01;
    assert_eq!(parse_rtcp(&rr), Err(Error::NotRtp));
}
