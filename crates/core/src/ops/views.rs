//! Wire shapes of stored records, one function per shape, so every route and event renders an
//! object the same way (protocol.md §3.6).

use guildhall_model::Nullable;
use guildhall_model::guild::Member;
use guildhall_model::user::User;
use guildhall_store::MemberRecord;

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
