//! Authentication tokens in Discord's shape.
//!
//! A token is `base64(user_id) "." base64url(issued-at seconds) "." base64url(hmac)`. Libraries
//! decode the user id from the first part and refuse tokens that do not look like this
//! (client-libraries.md §0 item 9). Only a SHA-256 digest of the token is stored; a presented
//! token is located by the user id in its first part and its digest compared in constant
//! time, so a stolen database does not hand out working tokens and comparison timing leaks
//! nothing. The HMAC part (keyed by the installation secret, over the id, time and a random
//! nonce) makes the token unguessable; it is not needed again for verification.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use guildhall_model::Id;
use guildhall_model::id::marker::UserMarker;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Discord's token epoch (2011-01-01T00:00:00Z), used for the middle part.
const TOKEN_EPOCH_SECS: u64 = 1_293_840_000;

/// The SHA-256 digest of a token: what the store keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Digests are not secrets, but there is nothing to learn from printing one.
        f.write_str("TokenHash(..)")
    }
}

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Compares in constant time.
    pub fn matches(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Installation secret keying the HMAC part of new tokens.
#[derive(Clone)]
pub struct TokenSecret([u8; 32]);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

impl TokenSecret {
    /// Wraps 32 secret bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random secret.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The raw bytes (for persisting the secret).
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A newly issued token: hand `token` to its owner once, store `hash`.
#[derive(Clone)]
pub struct IssuedToken {
    /// The secret token string.
    pub token: String,
    /// What the store keeps.
    pub hash: TokenHash,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("token", &"<redacted>").field("hash", &self.hash).finish()
    }
}

/// Issues a token for `user` at `now_unix_secs`.
pub fn issue(secret: &TokenSecret, user: Id<UserMarker>, now_unix_secs: u64) -> IssuedToken {
    let id_part = STANDARD_NO_PAD.encode(user.to_string());
    let issued = u32::try_from(now_unix_secs.saturating_sub(TOKEN_EPOCH_SECS)).unwrap_or(u32::MAX);
    let time_part = URL_SAFE_NO_PAD.encode(issued.to_be_bytes());
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let mac_part = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(id_part.as_bytes());
            mac.update(time_part.as_bytes());
            mac.update(&nonce);
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; keep a random part rather than panic if that changed.
        Err(_) => URL_SAFE_NO_PAD.encode(nonce),
    };
    let token = format!("{id_part}.{time_part}.{mac_part}");
    let hash = TokenHash::of(&token);
    IssuedToken { token, hash }
}

/// Strips an `Authorization` scheme (`Bot `, `Bearer `) if present.
pub fn strip_scheme(header: &str) -> &str {
    let trimmed = header.trim();
    for scheme in ["Bot ", "Bearer ", "bot ", "bearer "] {
        if let Some(rest) = trimmed.strip_prefix(scheme) {
            return rest.trim();
        }
    }
    trimmed
}

/// The user id a token claims (its first part), if it has Discord's shape.
pub fn claimed_user(token: &str) -> Option<Id<UserMarker>> {
    let mut parts = token.split('.');
    let first = parts.next()?;
    let (Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    // Discord's first part is padded sometimes and not others; accept both.
    let decoded = STANDARD_NO_PAD.decode(first.trim_end_matches('=')).ok()?;
    std::str::from_utf8(&decoded).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u64) -> Id<UserMarker> {
        Id::new_checked(n).unwrap()
    }

    #[test]
    fn token_has_discords_shape_and_names_its_user() {
        let secret = TokenSecret::generate();
        let issued = issue(&secret, user(2_000_000_000_000_000_001), 1_735_689_600);
        let parts: Vec<&str> = issued.token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(STANDARD_NO_PAD.decode(parts[0]).unwrap(), b"2000000000000000001");
        assert!(parts.iter().all(|p| !p.is_empty()));
        assert_eq!(claimed_user(&issued.token), Some(user(2_000_000_000_000_000_001)));
    }

    #[test]
    fn tokens_are_unique_even_in_the_same_second() {
        let secret = TokenSecret::generate();
        let a = issue(&secret, user(5), 1_735_689_600);
        let b = issue(&secret, user(5), 1_735_689_600);
        assert_ne!(a.token, b.token);
        assert!(!a.hash.matches(&b.hash));
    }

    #[test]
    fn hash_matches_only_the_same_token() {
        let issued = issue(&TokenSecret::generate(), user(5), 1_735_689_600);
        assert!(issued.hash.matches(&TokenHash::of(&issued.token)));
        let mut tampered = issued.token.clone();
        tampered.push('x');
        assert!(!issued.hash.matches(&TokenHash::of(&tampered)));
    }

    #[test]
    fn claimed_user_rejects_malformed_tokens() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "!!!.b.c", "MA.b.c" /* "0" */, "LTE.b.c" /* "-1" */] {
            assert_eq!(claimed_user(bad), None, "{bad}");
        }
        // Padded first part, as some Discord tokens have.
        assert_eq!(claimed_user("NQ==.x.y"), Some(user(5)));
    }

    #[test]
    fn scheme_is_stripped() {
        assert_eq!(strip_scheme("Bot abc.def.ghi"), "abc.def.ghi");
        assert_eq!(strip_scheme("Bearer t"), "t");
        assert_eq!(strip_scheme("  raw.token.x "), "raw.token.x");
    }

    #[test]
    fn secrets_and_tokens_are_redacted_in_debug() {
        let secret = TokenSecret::generate();
        let issued = issue(&secret, user(5), 1_735_689_600);
        assert_eq!(format!("{secret:?}"), "TokenSecret(<redacted>)");
        assert!(!format!("{issued:?}").contains(&issued.token));
    }
}
