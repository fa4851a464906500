//! Typed snowflake ids: `Id<Marker>` over a `NonZeroU64`.
//!
//! Discord serializes every id as a decimal **string** but some clients send integers
//! (discord.py's op 4 sends `guild_id`/`channel_id` as ints), so both are accepted on input
//! and a string is always written. Zero is rejected: Discord never issues it and strict
//! clients (twilight) refuse it. See protocol.md §5 and client-libraries.md §0 item 4.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::snowflake::DISCORD_EPOCH_MS;

/// Marker types: they only exist to keep ids of different resources apart.
pub mod marker {
    macro_rules! markers {
        ($($(#[$m:meta])* $name:ident),+ $(,)?) => {
            $($(#[$m])* #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub struct $name;)+
        };
    }
    markers! {
        /// A user (humans and bots alike).
        UserMarker,
        /// A guild ("server").
        GuildMarker,
        /// A channel of any type, including DMs and threads.
        ChannelMarker,
        /// A message.
        MessageMarker,
        /// A role; the @everyone role shares its guild's id.
        RoleMarker,
        /// An application (a bot's owning app).
        ApplicationMarker,
        /// A custom emoji.
        EmojiMarker,
        /// A webhook.
        WebhookMarker,
        /// An attachment.
        AttachmentMarker,
        /// A sticker.
        StickerMarker,
        /// An id that may name several kinds of things (e.g. an overwrite target: role or member).
        GenericMarker,
    }
}

/// A Discord snowflake that names one kind of resource.
pub struct Id<T> {
    value: NonZeroU64,
    // fn(T) -> T keeps Id Send + Sync + covariant-free regardless of T.
    phantom: PhantomData<fn(T) -> T>,
}

impl<T> Id<T> {
    /// Wraps a non-zero value.
    pub const fn from_nonzero(value: NonZeroU64) -> Self {
        Self { value, phantom: PhantomData }
    }

    /// Wraps `value`, or `None` when it is zero.
    pub const fn new_checked(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(v) => Some(Self::from_nonzero(v)),
            None => None,
        }
    }

    /// The raw 64-bit value.
    pub const fn get(self) -> u64 {
        self.value.get()
    }

    /// The raw value as a `NonZeroU64`.
    pub const fn into_nonzero(self) -> NonZeroU64 {
        self.value
    }

    /// Reinterprets the id for another resource kind, for Discord's shared ids
    /// (the @everyone role's id is its guild's id; a bot's application id is often its user id).
    pub const fn cast<U>(self) -> Id<U> {
        Id::from_nonzero(self.value)
    }

    /// Milliseconds since the Unix epoch encoded in the id.
    pub const fn timestamp_ms(self) -> u64 {
        (self.value.get() >> 22) + DISCORD_EPOCH_MS
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = std::any::type_name::<T>();
        let short = name.rsplit("::").next().unwrap_or(name);
        write!(f, "Id<{short}>({})", self.value)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

/// Why a string is not a snowflake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseIdError {
    /// Not a decimal u64.
    #[error("snowflake is not a decimal unsigned 64-bit integer")]
    NotANumber,
    /// Zero is not a valid snowflake.
    #[error("snowflake must not be zero")]
    Zero,
}

impl<T> FromStr for Id<T> {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw: u64 = s.parse().map_err(|_| ParseIdError::NotANumber)?;
        Self::new_checked(raw).ok_or(ParseIdError::Zero)
    }
}

impl<T> From<NonZeroU64> for Id<T> {
    fn from(value: NonZeroU64) -> Self {
        Self::from_nonzero(value)
    }
}

impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.value)
    }
}

impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor<T>(PhantomData<fn(T) -> T>);
        impl<T> Visitor<'_> for IdVisitor<T> {
            type Value = Id<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snowflake as a string or a positive integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Id::new_checked(v).ok_or_else(|| E::custom(ParseIdError::Zero))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                let v = u64::try_from(v).map_err(|_| E::custom(ParseIdError::NotANumber))?;
                self.visit_u64(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(IdVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::marker::{ChannelMarker, GuildMarker, RoleMarker};
    use super::*;

    #[test]
    fn serializes_as_string() {
        let id: Id<GuildMarker> = Id::new_checked(1_000_000_000_000_000_001).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""1000000000000000001""#);
    }

    #[test]
    fn parses_string_and_integer() {
        let a: Id<ChannelMarker> = serde_json::from_str(r#""18446744073709551615""#).unwrap();
        assert_eq!(a.get(), u64::MAX);
        let b: Id<ChannelMarker> = serde_json::from_str("42").unwrap();
        assert_eq!(b.get(), 42);
    }

    #[test]
    fn rejects_zero_negative_and_garbage() {
        for bad in [r#""0""#, "0", "-5", r#""abc""#, r#""""#, "1.5", "null", r#""18446744073709551616""#] {
            assert!(serde_json::from_str::<Id<ChannelMarker>>(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cast_keeps_value() {
        let guild: Id<GuildMarker> = Id::new_checked(7).unwrap();
        let everyone: Id<RoleMarker> = guild.cast();
        assert_eq!(everyone.get(), 7);
    }

    #[test]
    fn timestamp_of_known_id() {
        // 175928847299117063 is the example id from Discord's reference docs: 2016-04-30T11:18:25.796Z.
        let id: Id<GuildMarker> = Id::new_checked(175_928_847_299_117_063).unwrap();
        assert_eq!(id.timestamp_ms(), 1_462_015_105_796);
    }
}
