//! `wire_enum!`: integer enums that keep values they do not know.
//!
//! Discord adds channel types, message types and levels over time; a value this server does
//! not know must survive a read-modify-write (`Unknown(raw)`), never fail the whole payload.

/// Declares an integer-backed wire enum with an `Unknown(raw)` variant, conversions, `name()`,
/// the list of known variants (`KNOWN`) and integer serde.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this server does not know; kept as sent.
            Unknown($repr),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The wire value.
            pub const fn value(self) -> $repr {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(raw) => raw,
                }
            }

            /// The variant's name as Discord documents it (UPPER_SNAKE_CASE not guaranteed).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                    Self::Unknown(_) => "Unknown",
                }
            }
        }

        impl From<$repr> for $name {
            fn from(raw: $repr) -> Self {
                match raw {
                    $($value => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> $repr {
                v.value()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.value(), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$repr as serde::Deserialize>::deserialize(d).map(Self::from)
            }
        }
    };
}

pub(crate) use wire_enum;

/// Asserts, for each known variant, that it serializes to its value and back, and that an
/// unknown value round-trips. Used by every enum's test.
#[cfg(test)]
macro_rules! assert_wire_enum {
    ($name:ident, $repr:ty, $unknown:expr) => {{
        for v in $name::KNOWN {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, v.value().to_string(), "{}", v.name());
            assert_eq!(serde_json::from_str::<$name>(&json).unwrap(), *v);
            assert_eq!($name::from(<$repr>::from(*v)), *v);
        }
        let unknown: $name = serde_json::from_str(&$unknown.to_string()).unwrap();
        assert_eq!(unknown, $name::Unknown($unknown));
        assert_eq!(serde_json::to_string(&unknown).unwrap(), $unknown.to_string());
        assert!(serde_json::from_str::<$name>("\"1\"").is_err());
    }};
}

#[cfg(test)]
pub(crate) use assert_wire_enum;
