//! The one error type of this crate: why a datagram could not be read or written. Voice
//! WebSocket problems are close codes ([`crate::signal`]), not errors.

/// Why a datagram was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than its header, tag or nonce says it must be.
    #[error("datagram too short")]
    Truncated,
    /// Not RTP version 2 (or an RTCP packet where RTP was expected).
    #[error("not an RTP packet")]
    NotRtp,
    /// The AEAD tag did not verify (wrong key, nonce or tampered bytes).
    #[error("decryption failed")]
    Decrypt,
    /// The cipher refused to seal (input too large for one AEAD call).
    #[error("encryption failed")]
    Encrypt,
    /// A mode name this server does not implement.
    #[error("unknown encryption mode")]
    UnknownMode,
    /// A WebRTC offer that could not be read or answered (no Opus, malformed SDP).
    #[error("unusable SDP offer")]
    Sdp,
    /// The WebRTC stack refused (no local address configured, bad candidate).
    #[error("webrtc setup failed")]
    WebRtc,
    /// No participant has this SSRC.
    #[error("unknown participant")]
    UnknownParticipant,
}
