//! The rtpsize packet layout (protocol.md §6.7) of both modes, checked against RustCrypto's
//! `aes-gcm` and `chacha20poly1305` as independent implementations, plus frozen bytes for a
//! packet with CSRCs and a header extension. The published AEAD vectors live next to the code
//! (`src/crypto.rs` tests) because they need nonces the counter-only API cannot express.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use guildhall_voice_proto::Error;
use guildhall_voice_proto::crypto::{Cipher, Mode, OVERHEAD};
use guildhall_voice_proto::rtp::parse_rtp;

/// The reference implementation's `ct ‖ tag` for one mode, with Discord's nonce for `counter`.
fn oracle_seal(mode: Mode, key: &[u8; 32], counter: u32, aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let payload = Payload { msg, aad };
    match mode {
        Mode::Aes256GcmRtpsize => {
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&counter.to_be_bytes());
            Aes256Gcm::new(key.into()).encrypt(&nonce.into(), payload).unwrap()
        }
        Mode::XChaCha20Poly1305Rtpsize => {
            let mut nonce = [0u8; 24];
            nonce[..4].copy_from_slice(&counter.to_be_bytes());
            XChaCha20Poly1305::new(key.into()).encrypt(&nonce.into(), payload).unwrap()
        }
    }
}

fn oracle_open(mode: Mode, key: &[u8; 32], counter: u32, aad: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
    let payload = Payload { msg, aad };
    match mode {
        Mode::Aes256GcmRtpsize => {
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&counter.to_be_bytes());
            Aes256Gcm::new(key.into()).decrypt(&nonce.into(), payload).ok()
        }
        Mode::XChaCha20Poly1305Rtpsize => {
            let mut nonce = [0u8; 24];
            nonce[..4].copy_from_slice(&counter.to_be_bytes());
            XChaCha20Poly1305::new(key.into()).decrypt(&nonce.into(), payload).ok()
        }
    }
}

/// Deterministic filler bytes (xorshift), so failures reproduce.
struct Bytes(u64);
impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
    fn fill(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next()).collect()
    }
    fn key(&mut self) -> [u8; 32] {
        self.fill(32).try_into().unwrap()
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn mode_names() {
    assert_eq!(Mode::ALL, [Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize]);
    assert_eq!(Mode::Aes256GcmRtpsize.as_str(), "aead_aes256_gcm_rtpsize");
    assert_eq!(Mode::XChaCha20Poly1305Rtpsize.as_str(), "aead_xchacha20_poly1305_rtpsize");
    for mode in Mode::ALL {
        assert_eq!(Mode::from_name(mode.as_str()), Some(mode));
    }
    for name in ["", "aead_aes256_gcm", "xsalsa20_poly1305_lite_rtpsize", "AEAD_AES256_GCM_RTPSIZE"] {
        assert_eq!(Mode::from_name(name), None, "{name}");
    }
}

#[test]
fn seal_and_open_agree_with_rustcrypto() {
    let mut rng = Bytes(0x9e37_79b9_7f4a_7c15);
    for mode in Mode::ALL {
        for (i, counter) in [0, 1, 2, 0x0102_0304, 0x7fff_ffff, 0xffff_fffe, u32::MAX].into_iter().enumerate() {
            for len in [0, 1, 3, 15, 16, 17, 160, 1200] {
                let key = rng.key();
                let prefix = rng.fill([12, 16, 24, 72][i % 4]);
                let plaintext = rng.fill(len);
                let cipher = Cipher::new(mode, &key);
                assert_eq!(cipher.mode(), mode);

                let mut packet = b"kept".to_vec();
                cipher.seal(&prefix, &plaintext, counter, &mut packet).unwrap();
                let packet = &packet[4..];
                assert_eq!(packet.len(), prefix.len() + len + OVERHEAD);
                assert_eq!(&packet[..prefix.len()], prefix.as_slice(), "prefix travels in clear");
                assert_eq!(&packet[packet.len() - 4..], &counter.to_be_bytes(), "counter trailer, big-endian");
                let sealed = &packet[prefix.len()..packet.len() - 4];
                assert_eq!(sealed, oracle_seal(mode, &key, counter, &prefix, &plaintext), "{mode} len {len}");

                let mut out = b"x".to_vec();
                assert_eq!(cipher.open(packet, prefix.len(), &mut out), Ok(counter));
                assert_eq!(&out[1..], plaintext.as_slice());

                // And the other direction: what RustCrypto seals, we open.
                let mut theirs = prefix.clone();
                theirs.extend(oracle_seal(mode, &key, counter, &prefix, &plaintext));
                theirs.extend(counter.to_be_bytes());
                let mut out = Vec::new();
                assert_eq!(cipher.open(&theirs, prefix.len(), &mut out), Ok(counter));
                assert_eq!(out, plaintext);
            }
        }
    }
}

/// V=2, X=1, CC=2, PT 120, then two CSRCs, the one-byte extension preamble (0xBEDE, 1 word),
/// and as plaintext the extension body (ID 1, L=0, audio level 0x7f, 2 bytes padding) followed by
/// an Opus silence frame.
const HEADER: &str = "92 78 1234 deadbeef 0000abcd  11111111 22222222  bede 0001";
const PLAINTEXT: &str = "107f0000 f8fffe";
const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const COUNTER: u32 = 0x0102_0304;

/// Frozen output for [`HEADER`]/[`PLAINTEXT`]/[`KEY`]/[`COUNTER`]. Recorded from this crate once
/// the test below had shown RustCrypto produces the same bytes; kept so a change to either side
/// (or to the layout) is caught even if both drift together.
const EXPECTED_AES: &str = "92781234deadbeef0000abcd1111111122222222bede0001
                            312add5def6e86 0f16017f260b0c76f44c2973621e558a 01020304";
const EXPECTED_XCHACHA: &str = "92781234deadbeef0000abcd1111111122222222bede0001
                                6617104c6695bc 38f819a6c546e89791e8580eec6821aa 01020304";

#[test]
fn extension_and_csrcs_known_answer() {
    let header = hex(HEADER);
    let plaintext = hex(PLAINTEXT);
    let key: [u8; 32] = hex(KEY).try_into().unwrap();
    for (mode, expected) in [(Mode::Aes256GcmRtpsize, EXPECTED_AES), (Mode::XChaCha20Poly1305Rtpsize, EXPECTED_XCHACHA)]
    {
        let expected = hex(expected);
        let cipher = Cipher::new(mode, &key);
        let mut packet = Vec::new();
        cipher.seal(&header, &plaintext, COUNTER, &mut packet).unwrap();
        assert_eq!(packet, expected, "{mode}");

        // The receiver's view: the prefix is header + CSRCs + the 4-byte preamble, nothing more.
        let rtp = parse_rtp(&packet).unwrap();
        assert_eq!((rtp.csrc_count, rtp.has_extension, rtp.prefix_len), (2, true, 24));
        assert_eq!((rtp.extension_profile, rtp.extension_len), (0xbede, 4));
        assert_eq!((rtp.payload_type, rtp.sequence, rtp.timestamp, rtp.ssrc), (120, 0x1234, 0xdead_beef, 0xabcd));

        // The AAD is exactly those 24 bytes: RustCrypto opens with them and with nothing else.
        let body = &packet[24..packet.len() - 4];
        assert_eq!(oracle_open(mode, &key, COUNTER, &packet[..24], body), Some(plaintext.clone()));
        assert_eq!(oracle_open(mode, &key, COUNTER, &packet[..12], &packet[12..packet.len() - 4]), None);
        assert_eq!(oracle_open(mode, &key, COUNTER, &packet[..20], &packet[20..packet.len() - 4]), None);
        // SRTP would leave the extension body in clear and authenticate it; rtpsize encrypts it.
        assert_ne!(&packet[24..28], &plaintext[..4]);
        assert_eq!(oracle_open(mode, &key, COUNTER, &packet[..28], &packet[28..packet.len() - 4]), None);

        let mut out = Vec::new();
        assert_eq!(cipher.open(&packet, rtp.prefix_len, &mut out), Ok(COUNTER));
        assert_eq!(out, plaintext, "plaintext starts with the extension body");
        assert_eq!(rtp.payload(&out), Some(&[0xf8, 0xff, 0xfe][..]));
    }
}

#[test]
fn tampering_and_truncation() {
    let header = hex(HEADER);
    let plaintext = hex(PLAINTEXT);
    let key: [u8; 32] = hex(KEY).try_into().unwrap();
    for mode in Mode::ALL {
        let cipher = Cipher::new(mode, &key);
        let mut packet = Vec::new();
        cipher.seal(&header, &plaintext, COUNTER, &mut packet).unwrap();
        let mut out = b"before".to_vec();
        for i in 0..packet.len() {
            for bit in [0x01, 0x80] {
                let mut bad = packet.clone();
                bad[i] ^= bit;
                assert_eq!(cipher.open(&bad, 24, &mut out), Err(Error::Decrypt), "{mode} byte {i}");
                assert_eq!(out, b"before", "nothing unauthenticated is handed out");
            }
        }
        // The wrong prefix length moves bytes between AAD and ciphertext.
        for prefix_len in [0, 12, 20, 23, 25, 28] {
            assert_eq!(cipher.open(&packet, prefix_len, &mut out), Err(Error::Decrypt), "{prefix_len}");
        }
        // Another key, or the other mode with the same key.
        let other = Cipher::new(mode, &[7; 32]);
        assert_eq!(other.open(&packet, 24, &mut out), Err(Error::Decrypt));
        let other_mode = Mode::ALL.into_iter().find(|m| *m != mode).unwrap();
        assert_eq!(Cipher::new(other_mode, &key).open(&packet, 24, &mut out), Err(Error::Decrypt));

        for len in 0..24 + OVERHEAD {
            assert_eq!(cipher.open(&packet[..len], 24, &mut out), Err(Error::Truncated), "{mode} len {len}");
        }
        assert_eq!(cipher.open(&packet, packet.len(), &mut out), Err(Error::Truncated));
        assert_eq!(cipher.open(&packet, usize::MAX, &mut out), Err(Error::Truncated));
        // Prefix, tag and counter but no ciphertext: long enough, but the tag is wrong.
        let mut empty = header.clone();
        empty.extend(&packet[packet.len() - OVERHEAD..]);
        assert_eq!(cipher.open(&empty, 24, &mut out), Err(Error::Decrypt));
        assert_eq!(out, b"before");
    }
}

#[test]
fn debug_hides_the_key() {
    let key = [0xab; 32];
    for mode in Mode::ALL {
        let shown = format!("{:?} {:#?}", Cipher::new(mode, &key), Cipher::new(mode, &key));
        assert!(shown.contains(&format!("{mode:?}")), "{shown}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab"), "{shown}");
    }
}
