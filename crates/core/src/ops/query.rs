//! Query-string values as Discord reads them (protocol.md §3.1): booleans are `true`/`True`/`1`
//! or `false`/`False`/`0` (discord.py sends `with_counts=1`), and paging anchors accept `0`
//! ("from the very beginning"; JDA sends `after=0`), which is no valid snowflake. Use with
//! `#[serde(default, deserialize_with = "...")]` on `Option` fields.

use std::fmt;

use guildhall_model::Id;
use serde::Deserializer;
use serde::de::{self, Visitor};

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true, True, 1, false, False or 0")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "true" | "True" | "1" => Ok(Some(true)),
            "false" | "False" | "0" => Ok(Some(false)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// An optional query boolean.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

struct AnchorVisitor<T>(std::marker::PhantomData<T>);

impl<T> Visitor<'_> for AnchorVisitor<T> {
    type Value = Option<Id<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snowflake or 0")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        // 0 means "from the beginning": the lowest id, which nothing real precedes or equals.
        Id::new_checked(v.max(1)).map(Some).ok_or_else(|| E::custom("Value is not snowflake."))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v).map_err(|_| E::custom("Value is not snowflake.")).and_then(|v| self.visit_u64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse::<u64>()
            .map_err(|_| E::custom(format!("Value \"{v}\" is not snowflake.")))
            .and_then(|v| self.visit_u64(v))
    }
}

/// An optional paging anchor (`before`/`after`/`around`): a snowflake, or `0` for the lowest id.
pub fn opt_anchor<'de, D: Deserializer<'de>, T>(d: D) -> Result<Option<Id<T>>, D::Error> {
    d.deserialize_any(AnchorVisitor(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use guildhall_model::id::marker::MessageMarker;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Q {
        #[serde(default, deserialize_with = "super::opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::opt_anchor")]
        after: Option<guildhall_model::Id<MessageMarker>>,
    }

    fn q(query: &str) -> Result<Q, serde_urlencoded::de::Error> {
        serde_urlencoded::from_str(query)
    }

    #[test]
    fn booleans_as_discord_reads_them() {
        for (text, want) in
            [("true", true), ("True", true), ("1", true), ("false", false), ("False", false), ("0", false)]
        {
            assert_eq!(q(&format!("flag={text}")).map(|q| q.flag).ok(), Some(Some(want)), "{text}");
        }
        assert!(q("flag=yes").is_err());
        assert_eq!(q("").map(|q| q.flag).ok(), Some(None));
    }

    #[test]
    fn anchors_accept_zero() {
        assert_eq!(q("after=0").ok().and_then(|q| q.after).map(|a| a.get()), Some(1));
        assert_eq!(
            q("after=123456789012345678").ok().and_then(|q| q.after).map(|a| a.get()),
            Some(123_456_789_012_345_678)
        );
        assert!(q("after=-5").is_err());
        assert!(q("after=abc").is_err());
        assert_eq!(q("").map(|q| q.after).ok(), Some(None));
    }
}
