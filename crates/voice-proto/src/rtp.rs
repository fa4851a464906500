//! Reading the datagrams clients send to the voice UDP port (protocol.md §6.5, §6.6): telling IP
//! discovery, keepalives, RTP and RTCP apart (RFC 5761 demultiplexing), and the RTP header
//! fields the forwarder needs (RFC 3550 §5.1, header extensions RFC 8285).
//!
//! Only the clear part of a packet is read: in the rtpsize modes the extension *body*, the
//! payload and any padding are encrypted, so [`RtpHeader::prefix_len`] stops after the 4-byte
//! extension preamble.

use crate::Error;
use crate::crypto::OVERHEAD;
use crate::discovery;

/// The fixed RTP header.
pub const FIXED_HEADER_LEN: usize = 12;
/// Datagrams up to this size are keepalives (discord.js: 8 bytes, songbird: 4), never RTP.
pub const MAX_KEEPALIVE_LEN: usize = 8;

/// The clear fields of one RTP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// CC: how many 4-byte CSRCs follow the fixed header.
    pub csrc_count: u8,
    /// X: a header extension follows the CSRCs.
    pub has_extension: bool,
    /// P: the (encrypted) payload ends with padding whose last byte is its length.
    pub padding: bool,
    /// The extension's profile id (0xBEDE for RFC 8285 one-byte elements); 0 without X.
    pub extension_profile: u16,
    /// Length of the (encrypted) extension body in bytes: 4 × the preamble's length field.
    pub extension_len: usize,
    /// Bytes left unencrypted (the AAD) in the rtpsize modes: 12 + 4·CC + (4 if X=1).
    pub prefix_len: usize,
}

impl RtpHeader {
    /// The media payload inside `plaintext` (what [`crate::crypto::Cipher::open`] returned for
    /// this packet): without the extension body in front and the padding behind. `None` if the
    /// lengths the header announces do not fit.
    pub fn payload<'a>(&self, plaintext: &'a [u8]) -> Option<&'a [u8]> {
        let rest = plaintext.get(self.extension_len..)?;
        if !self.padding {
            return Some(rest);
        }
        let pad = usize::from(*rest.last()?);
        if pad == 0 {
            return None;
        }
        rest.get(..rest.len().checked_sub(pad)?)
    }
}

/// Reads an encrypted rtpsize RTP packet's clear header.
///
/// # Errors
/// [`Error::NotRtp`] unless version 2 and outside RTCP's payload-type range;
/// [`Error::Truncated`] if too short for its prefix plus the 16-byte tag and 4-byte counter.
pub fn parse_rtp(data: &[u8]) -> Result<RtpHeader, Error> {
    if data.len() < FIXED_HEADER_LEN {
        return Err(Error::Truncated);
    }
    if data[0] >> 6 != 2 || is_rtcp_type(data[1]) {
        return Err(Error::NotRtp);
    }
    let csrc_count = data[0] & 0x0f;
    let has_extension = data[0] & 0x10 != 0;
    let mut prefix_len = FIXED_HEADER_LEN + 4 * usize::from(csrc_count);
    let (mut extension_profile, mut extension_len) = (0, 0);
    if has_extension {
        let preamble = data.get(prefix_len..prefix_len + 4).ok_or(Error::Truncated)?;
        extension_profile = u16::from_be_bytes([preamble[0], preamble[1]]);
        extension_len = 4 * usize::from(u16::from_be_bytes([preamble[2], preamble[3]]));
        prefix_len += 4;
    }
    // The extension body is part of the ciphertext, so it must fit before the tag too.
    if data.len() < prefix_len + extension_len + OVERHEAD {
        return Err(Error::Truncated);
    }
    Ok(RtpHeader {
        marker: data[1] & 0x80 != 0,
        payload_type: data[1] & 0x7f,
        sequence: u16::from_be_bytes([data[2], data[3]]),
        timestamp: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
        ssrc: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
        csrc_count,
        has_extension,
        padding: data[0] & 0x20 != 0,
        extension_profile,
        extension_len,
        prefix_len,
    })
}

/// What one datagram from a client is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A 74-byte IP discovery request (type 1).
    Discovery,
    /// A keepalive (≤ 8 bytes): discord.js's `[u32 LE counter][4 zero bytes]`, songbird's `[u32 BE SSRC]`.
    Keepalive,
    /// RTP version 2.
    Rtp,
    /// RTCP version 2 (second byte 192..=223, RFC 5761 §4).
    Rtcp,
    /// Anything else.
    Unknown,
}

/// Demultiplexes one datagram from a client.
pub fn classify(data: &[u8]) -> Kind {
    if data.is_empty() {
        return Kind::Unknown;
    }
    if data.len() <= MAX_KEEPALIVE_LEN {
        return Kind::Keepalive;
    }
    if discovery::parse_request(data).is_some() {
        return Kind::Discovery;
    }
    if data[0] >> 6 != 2 {
        return Kind::Unknown;
    }
    if is_rtcp_type(data[1]) { Kind::Rtcp } else { Kind::Rtp }
}

/// RFC 5761 §4: with RTP payload types kept out of 64..=95, a second byte (marker bit + PT) of
/// 192..=223 is RTCP.
fn is_rtcp_type(second_byte: u8) -> bool {
    (192..=223).contains(&second_byte)
}

/// The common header of an RTCP packet (RFC 3550 §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpHeader {
    /// 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, …
    pub packet_type: u8,
    pub sender_ssrc: u32,
}

/// Reads the first RTCP header of a (compound) RTCP packet.
///
/// # Errors
/// [`Error::Truncated`] under 8 bytes; [`Error::NotRtp`] unless version 2 with an RTCP type.
pub fn parse_rtcp(data: &[u8]) -> Result<RtcpHeader, Error> {
    if data.len() < 8 {
        return Err(Error::Truncated);
    }
    if data[0] >> 6 != 2 || !is_rtcp_type(data[1]) {
        return Err(Error::NotRtp);
    }
    Ok(RtcpHeader { packet_type: data[1], sender_ssrc: u32::from_be_bytes([data[4], data[5], data[6], data[7]]) })
}
