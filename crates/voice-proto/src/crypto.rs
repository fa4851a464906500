//! Discord's voice transport encryption, the two "rtpsize" AEAD modes (protocol.md §6.7).
//!
//! A packet is `prefix ‖ ciphertext ‖ tag(16) ‖ counter(4, big-endian)`. The prefix is the RTP
//! header, its CSRCs and, when X=1, the 4-byte extension preamble; it is the AAD and travels in
//! clear. The extension *body* is the start of the plaintext (unlike SRTP). The nonce given to
//! the cipher is the counter in bytes 0..4 followed by zeros: 12 bytes for AES-256-GCM, 24 bytes
//! for XChaCha20-Poly1305.
//!
//! Implementation per sfu-stack.md §2: aws-lc-rs for both AEADs; XChaCha20-Poly1305 is built
//! from HChaCha20 (`chacha20::hchacha`) and aws-lc-rs's IETF ChaCha20-Poly1305, because
//! RustCrypto's Poly1305 is several times slower without `target-cpu=native`.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use chacha20::cipher::consts::U10;
use chacha20::cipher::generic_array::GenericArray;

use crate::Error;

/// Length of the AEAD tag after the ciphertext.
pub const TAG_LEN: usize = 16;
/// Length of the big-endian nonce counter at the end of a packet.
pub const COUNTER_LEN: usize = 4;
/// Bytes a sealed packet carries beyond its prefix and plaintext.
pub const OVERHEAD: usize = TAG_LEN + COUNTER_LEN;

/// A transport encryption mode this server implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `aead_aes256_gcm_rtpsize`: preferred by discord.js and songbird.
    Aes256GcmRtpsize,
    /// `aead_xchacha20_poly1305_rtpsize`: the one every client supports (the only one of discord.py).
    XChaCha20Poly1305Rtpsize,
}

impl Mode {
    /// Every mode, in the server's default preference order (AES-GCM first, as Discord lists it).
    pub const ALL: [Mode; 2] = [Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize];

    /// The name used in READY `modes`, SELECT_PROTOCOL and SESSION_DESCRIPTION.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Aes256GcmRtpsize => "aead_aes256_gcm_rtpsize",
            Mode::XChaCha20Poly1305Rtpsize => "aead_xchacha20_poly1305_rtpsize",
        }
    }

    /// The mode with this wire name, if this server implements it.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.as_str() == name)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One participant's secret key, ready for one mode.
pub struct Cipher {
    inner: Inner,
}

enum Inner {
    /// The expanded AES key is reused for every packet.
    Aes(LessSafeKey),
    /// XChaCha derives a fresh ChaCha20 subkey per nonce, so only the raw key is kept.
    XChaCha([u8; 32]),
    /// aws-lc-rs refused the AES key, which only happens if its self-tests failed: every packet
    /// is then refused instead of the UDP thread panicking.
    Unusable(Mode),
}

impl fmt::Debug for Cipher {
    // Never print key material: `Cipher`s end up in participant structs that get logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher").field("mode", &self.mode()).finish_non_exhaustive()
    }
}

impl Cipher {
    /// A cipher for `mode` with the 32-byte key sent in SESSION_DESCRIPTION.
    pub fn new(mode: Mode, key: &[u8; 32]) -> Cipher {
        let inner = match mode {
            Mode::Aes256GcmRtpsize => match UnboundKey::new(&AES_256_GCM, key) {
                Ok(key) => Inner::Aes(LessSafeKey::new(key)),
                Err(_) => Inner::Unusable(mode),
            },
            Mode::XChaCha20Poly1305Rtpsize => Inner::XChaCha(*key),
        };
        Cipher { inner }
    }

    /// The mode this cipher implements.
    pub fn mode(&self) -> Mode {
        match self.inner {
            Inner::Aes(_) => Mode::Aes256GcmRtpsize,
            Inner::XChaCha(_) => Mode::XChaCha20Poly1305Rtpsize,
            Inner::Unusable(mode) => mode,
        }
    }

    /// Opens one packet: `packet` = prefix (the AAD, `prefix_len` bytes, see
    /// [`crate::rtp::RtpHeader::prefix_len`]) ‖ ciphertext ‖ 16-byte tag ‖ 4-byte BE counter.
    /// Appends the plaintext (which starts with the RTP extension *body* when X=1) to `out` and
    /// returns the counter. On error `out` is left as it was.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the packet cannot hold the prefix, tag and counter;
    /// [`Error::Decrypt`] if the tag does not verify.
    pub fn open(&self, packet: &[u8], prefix_len: usize, out: &mut Vec<u8>) -> Result<u32, Error> {
        let Some(body_len) = packet.len().checked_sub(OVERHEAD) else {
            return Err(Error::Truncated);
        };
        if body_len < prefix_len {
            return Err(Error::Truncated);
        }
        let (body, trailer) = packet.split_at(body_len);
        let (prefix, ciphertext) = body.split_at(prefix_len);
        let (tag, counter_bytes) = trailer.split_at(TAG_LEN);
        let counter = u32::from_be_bytes([counter_bytes[0], counter_bytes[1], counter_bytes[2], counter_bytes[3]]);
        let start = out.len();
        out.resize(start + ciphertext.len(), 0);
        let result = self.with_key(counter, |key, nonce| {
            key.open_separate_gather(nonce, Aad::from(prefix), ciphertext, tag, &mut out[start..])
        });
        match result {
            Ok(()) => Ok(counter),
            Err(_) => {
                // Don't hand out unauthenticated bytes.
                out.truncate(start);
                Err(Error::Decrypt)
            }
        }
    }

    /// Seals one packet: appends `prefix ‖ ciphertext ‖ tag ‖ counter (BE)` to `out`.
    ///
    /// # Errors
    /// [`Error::Encrypt`] if the cipher refuses (input too large for one AEAD call); `out` is
    /// then left as it was.
    pub fn seal(&self, prefix: &[u8], plaintext: &[u8], counter: u32, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        out.reserve(prefix.len() + plaintext.len() + OVERHEAD);
        out.extend_from_slice(prefix);
        let body = out.len();
        out.extend_from_slice(plaintext);
        let result = self
            .with_key(counter, |key, nonce| key.seal_in_place_separate_tag(nonce, Aad::from(prefix), &mut out[body..]));
        match result {
            Ok(tag) => {
                out.extend_from_slice(tag.as_ref());
                out.extend_from_slice(&counter.to_be_bytes());
                Ok(())
            }
            Err(_) => {
                out.truncate(start);
                Err(Error::Encrypt)
            }
        }
    }

    /// Runs `f` with the key and 12-byte nonce the underlying IETF AEAD needs for `counter`.
    fn with_key<T>(
        &self,
        counter: u32,
        f: impl FnOnce(&LessSafeKey, Nonce) -> Result<T, aws_lc_rs::error::Unspecified>,
    ) -> Result<T, aws_lc_rs::error::Unspecified> {
        match &self.inner {
            Inner::Aes(key) => {
                let mut nonce = [0u8; NONCE_LEN];
                nonce[..4].copy_from_slice(&counter.to_be_bytes());
                f(key, Nonce::assume_unique_for_key(nonce))
            }
            Inner::XChaCha(key) => {
                let mut nonce = [0u8; 24];
                nonce[..4].copy_from_slice(&counter.to_be_bytes());
                let (subkey, chacha_nonce) = xchacha_subkey(key, &nonce)?;
                f(&subkey, chacha_nonce)
            }
            Inner::Unusable(_) => Err(aws_lc_rs::error::Unspecified),
        }
    }
}

/// The IETF XChaCha20-Poly1305 construction (draft-irtf-cfrg-xchacha §2.3): HChaCha20 turns the
/// key and nonce[0..16] into a subkey, which seals with ChaCha20-Poly1305 under the 12-byte
/// nonce `[0; 4] ‖ nonce[16..24]`. This is libsodium's `crypto_aead_xchacha20poly1305_ietf_*`.
fn xchacha_subkey(key: &[u8; 32], nonce: &[u8; 24]) -> Result<(LessSafeKey, Nonce), aws_lc_rs::error::Unspecified> {
    let subkey = chacha20::hchacha::<U10>(GenericArray::from_slice(key), GenericArray::from_slice(&nonce[..16]));
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, subkey.as_slice())?);
    let mut chacha_nonce = [0u8; NONCE_LEN];
    chacha_nonce[4..].copy_from_slice(&nonce[16..]);
    Ok((key, Nonce::assume_unique_for_key(chacha_nonce)))
}

#[cfg(test)]
mod tests {
    //! Published vectors with arbitrary nonces, which the counter-only public API cannot express.
    //! The rtpsize layout itself is checked in `tests/crypto.rs`.

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XCHACHA20_POLY1305).
    #[test]
    fn xchacha20_poly1305_ietf_vector() {
        let plaintext = hex("4c616469657320616e642047656e746c656d656e206f662074686520636c6173
             73206f66202739393a204966204920636f756c64206f6666657220796f75206f
             6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73
             637265656e20776f756c642062652069742e");
        assert_eq!(plaintext, b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let key: [u8; 32] = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f").try_into().unwrap();
        let nonce: [u8; 24] = hex("404142434445464748494a4b4c4d4e4f5051525354555657").try_into().unwrap();
        let ciphertext = hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
             731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
             2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
             21f9664c97637da9768812f615c68b13b52e");
        let tag = hex("c0875924c1c7987947deafd8780acf49");

        let (subkey, chacha_nonce) = xchacha_subkey(&key, &nonce).unwrap();
        let mut buf = plaintext.clone();
        let got_tag = subkey.seal_in_place_separate_tag(chacha_nonce, Aad::from(&aad), &mut buf).unwrap();
        assert_eq!(buf, ciphertext);
        assert_eq!(got_tag.as_ref(), tag.as_slice());

        let (subkey, chacha_nonce) = xchacha_subkey(&key, &nonce).unwrap();
        let mut opened = vec![0; ciphertext.len()];
        subkey.open_separate_gather(chacha_nonce, Aad::from(&aad), &ciphertext, &tag, &mut opened).unwrap();
        assert_eq!(opened, plaintext);
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", Appendix B, Test Case 16
    /// (AES-256, 96-bit IV, 20-byte AAD).
    #[test]
    fn aes256_gcm_vector() {
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let plaintext = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let iv: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
        let ciphertext = hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
        let tag = hex("76fc6ece0f4e1768cddf8853bb2d551b");

        let Inner::Aes(key) = Cipher::new(Mode::Aes256GcmRtpsize, &key.try_into().unwrap()).inner else {
            panic!("AES mode must hold an AES key");
        };
        let mut buf = plaintext.clone();
        let got_tag =
            key.seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut buf).unwrap();
        assert_eq!(buf, ciphertext);
        assert_eq!(got_tag.as_ref(), tag.as_slice());
    }
}
