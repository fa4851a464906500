//! Tri-state fields: absent, `null`, or a value.
//!
//! Discord tells "not sent" apart from "sent as null" both in objects it emits (a channel with
//! `"parent_id": null` vs. a partial one without it) and in PATCH bodies ("leave as is" vs.
//! "clear"). A field is `Option<Nullable<T>>` with `#[serde(default, deserialize_with =
//! "nullable::present", skip_serializing_if = "Option::is_none")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that was present in the JSON: `null` or a `T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// Explicit `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Nullable<T> {
    /// `None` becomes `Null`.
    pub fn from_option(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Value)
    }

    /// The value, if not null.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Null => None,
            Self::Value(v) => Some(v),
        }
    }

    /// A reference to the value, if not null.
    pub const fn as_ref(&self) -> Nullable<&T> {
        match self {
            Self::Null => Nullable::Null,
            Self::Value(v) => Nullable::Value(v),
        }
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        Self::from_option(value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_none(),
            Self::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Self::from_option)
    }
}

/// `deserialize_with` helper: a present key (even `null`) becomes `Some(..)`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Nullable<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Nullable::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Patch {
        #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
        topic: Option<Nullable<String>>,
    }

    #[test]
    fn three_states() {
        let absent: Patch = serde_json::from_str("{}").unwrap();
        let null: Patch = serde_json::from_str(r#"{"topic":null}"#).unwrap();
        let value: Patch = serde_json::from_str(r#"{"topic":"x"}"#).unwrap();
        assert_eq!(absent.topic, None);
        assert_eq!(null.topic, Some(Nullable::Null));
        assert_eq!(value.topic, Some(Nullable::Value("x".to_owned())));
        assert_eq!(serde_json::to_string(&absent).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"topic":null}"#);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"topic":"x"}"#);
    }
}
