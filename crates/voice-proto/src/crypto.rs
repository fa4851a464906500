//! TEMP stub so `signal` compiles on its own branch: the real module (ciphers) replaces this file.

/// A transport encryption mode (stub of the real type's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `aead_aes256_gcm_rtpsize`.
    Aes256GcmRtpsize,
    /// `aead_xchacha20_poly1305_rtpsize`.
    XChaCha20Poly1305Rtpsize,
}

impl Mode {
    /// Server preference order.
    pub const ALL: [Mode; 2] = [Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Aes256GcmRtpsize => "aead_aes256_gcm_rtpsize",
            Mode::XChaCha20Poly1305Rtpsize => "aead_xchacha20_poly1305_rtpsize",
        }
    }

    /// The mode with this wire name.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == name)
    }
}
