//! Wire shapes of stored records, one function per shape, so every route and event renders an
//! object the same way (protocol.md §3.6).

use guildhall_model::Nullable;
use guildhall_model::guild::Member;
use guildhall_model::user::User;
use guildhall_store::MemberRecord;
use sha2::{Digest, Sha256};

use crate::limits::{FormError, PathSegment};

/// An image field given as a data URI (`data:image/png;base64,...`) becomes a 32-hex-digit
/// hash (`a_`-prefixed for GIFs), the shape clients expect. The image itself is not served yet
/// (no CDN).
pub(crate) fn image_hash(field: &'static str, data_uri: &str) -> Result<String, FormError> {
    let valid =
        ["data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"]
            .iter()
            .any(|prefix| data_uri.starts_with(prefix));
    if !valid {
        return Err(FormError::new(vec![PathSegment::field(field)], "IMAGE_INVALID", "Invalid image data"));
    }
    let hex = short_hash(data_uri);
    Ok(if data_uri.starts_with("data:image/gif") { format!("a_{hex}") } else { hex })
}

/// The first 16 bytes of SHA-256 in hex: an image-hash-shaped name for some input.
pub(crate) fn short_hash(input: &str) -> String {
    Sha256::digest(input.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A user as others see it: no email, no private flags, no settings.
pub fn public_user(user: &User) -> User {
    User {
        email: None,
        verified: None,
        mfa_enabled: None,
        locale: None,
        flags: None,
        premium_type: None,
        public_flags: Some(user.public_flags.unwrap_or_default()),
        ..user.clone()
    }
}

/// The current user (`GET /users/@me`, READY): everything, with the keys strict libraries need.
pub fn current_user(user: &User, email: Option<&str>) -> User {
    User {
        mfa_enabled: Some(user.mfa_enabled.unwrap_or(false)),
        verified: Some(user.verified.unwrap_or(true)),
        locale: Some(user.locale.clone().unwrap_or_else(|| "en-US".to_owned())),
        flags: Some(user.flags.unwrap_or_default()),
        public_flags: Some(user.public_flags.unwrap_or_default()),
        premium_type: Some(user.premium_type.unwrap_or(guildhall_model::user::PremiumType::None)),
        email: Some(email.map_or(Nullable::Null, |e| Nullable::Value(e.to_owned()))),
        ..user.clone()
    }
}

/// A guild member; `user` is included where Discord includes it (everywhere except the
/// `member` inside MESSAGE_CREATE/UPDATE).
pub fn member(record: &MemberRecord, user: Option<&User>) -> Member {
    Member {
        user: user.map(public_user),
        nick: Some(record.nick.clone().map_or(Nullable::Null, Nullable::Value)),
        avatar: Some(record.avatar.clone().map_or(Nullable::Null, Nullable::Value)),
        banner: Some(Nullable::Null),
        roles: record.roles.clone(),
        joined_at: Some(record.joined_at),
        premium_since: Some(record.premium_since.map_or(Nullable::Null, Nullable::Value)),
        deaf: record.deaf,
        mute: record.mute,
        flags: record.flags,
        pending: Some(record.pending),
        permissions: None,
        communication_disabled_until: Some(record.communication_disabled_until.map_or(Nullable::Null, Nullable::Value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_hashes_have_discords_shape() {
        let hash = image_hash("avatar", "data:image/png;base64,iVBORw0KGgo=").unwrap_or_default();
        assert_eq!(hash.len(), 32);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(image_hash("avatar", "data:image/gif;base64,R0lGOD").unwrap_or_default().starts_with("a_"));
        let err = image_hash("icon", "https://example.com/x.png").err().map(|e| e.path().to_vec());
        assert_eq!(err, Some(vec![PathSegment::field("icon")]));
    }
}
