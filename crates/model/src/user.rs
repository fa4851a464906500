//! Users and applications (protocol.md §3.6 "User"; client-libraries.md §6.1).

use serde::{Deserialize, Serialize};

use crate::flags::{ApplicationFlags, UserFlags};
use crate::id::Id;
use crate::id::marker::{ApplicationMarker, UserMarker};
use crate::nullable::{self, Nullable};
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Nitro tier.
    pub enum PremiumType: u8 {
        None = 0,
        NitroClassic = 1,
        Nitro = 2,
        NitroBasic = 3,
    }
}

/// A user. The always-present keys (`id, username, discriminator, global_name, avatar`) are
/// what every library reads unconditionally; the rest appear where Discord sends them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id<UserMarker>,
    pub username: String,
    /// `"0"` for every user on the new username system; libraries concatenate it as a string.
    pub discriminator: String,
    /// Display name; Discord sends `null` when unset, older payloads omit it.
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub global_name: Option<Nullable<String>>,
    /// Image hash; the key must exist even when null (discord.py indexes it).
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub banner: Option<Nullable<String>>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<Nullable<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(default, deserialize_with = "nullable::present", skip_serializing_if = "Option::is_none")]
    pub email: Option<Nullable<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<UserFlags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_type: Option<PremiumType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_flags: Option<UserFlags>,
}

impl User {
    /// A user object with only the always-present keys filled.
    pub fn new(id: Id<UserMarker>, username: impl Into<String>) -> Self {
        Self {
            id,
            username: username.into(),
            discriminator: "0".to_owned(),
            global_name: Some(Nullable::Null),
            avatar: None,
            bot: None,
            system: None,
            mfa_enabled: None,
            banner: None,
            accent_color: None,
            locale: None,
            verified: None,
            email: None,
            flags: None,
            premium_type: None,
            public_flags: None,
        }
    }
}

/// An application, as `GET /oauth2/applications/@me` returns it (discord.py's `AppInfo`
/// requires `id, name, description, icon, bot_public, bot_require_code_grant, owner, verify_key`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: Id<ApplicationMarker>,
    pub name: String,
    pub icon: Option<String>,
    pub description: String,
    pub bot_public: bool,
    pub bot_require_code_grant: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<User>,
    pub verify_key: String,
    #[serde(default)]
    pub flags: ApplicationFlags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<serde_json::Value>,
}

/// The `{id, flags}` application stub in READY (discord.js requires it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialApplication {
    pub id: Id<ApplicationMarker>,
    pub flags: ApplicationFlags,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn premium_type_serde() {
        assert_wire_enum!(PremiumType, u8, 9u8);
    }

    #[test]
    fn minimal_user_has_the_keys_libraries_index() {
        let user = User::new(Id::new_checked(5).unwrap(), "bota");
        let v = serde_json::to_value(&user).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":"5","username":"bota","discriminator":"0","global_name":null,"avatar":null})
        );
    }

    #[test]
    fn email_null_and_absent_differ() {
        let with_null: User =
            serde_json::from_str(r#"{"id":"1","username":"a","discriminator":"0","avatar":null,"email":null}"#)
                .unwrap();
        assert_eq!(with_null.email, Some(Nullable::Null));
        assert!(serde_json::to_string(&with_null).unwrap().contains(r#""email":null"#));
    }
}
