//! Webhooks (protocol.md §3.6 "Webhook") and voice regions.

use serde::{Deserialize, Serialize};

use crate::id::Id;
use crate::id::marker::{ApplicationMarker, ChannelMarker, GuildMarker, WebhookMarker};
use crate::user::User;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Webhook type.
    pub enum WebhookType: u8 {
        Incoming = 1,
        ChannelFollower = 2,
        Application = 3,
    }
}

/// A webhook. `token` is present for incoming webhooks when the caller may see it; `user` is the
/// creator and is omitted when the webhook is fetched with its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Id<WebhookMarker>,
    #[serde(rename = "type")]
    pub kind: WebhookType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    pub channel_id: Option<Id<ChannelMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub application_id: Option<Id<ApplicationMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A voice region (`GET /voice/regions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceRegion {
    pub id: String,
    pub name: String,
    pub optimal: bool,
    pub deprecated: bool,
    pub custom: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::wire_enum::assert_wire_enum;

    #[test]
    fn webhook_type_wire() {
        assert_wire_enum!(WebhookType, u8, 9u8);
    }

    #[test]
    fn webhook_round_trip() {
        let json = r#"{"id":"223704706495545344","type":1,"guild_id":"199737254929760256","channel_id":"199737254929760256","user":{"id":"80351110224678912","username":"Nelly","discriminator":"0","global_name":null,"avatar":null},"name":"test webhook","avatar":null,"token":"3d89bb7572e0fb30d8128367b3b1b44fecd1726de135cbe28a41f8b2f777c372ba2939e72279b94526ff5d1bd4358d65cf11","application_id":null}"#;
        let hook: Webhook = serde_json::from_str(json).unwrap();
        assert_eq!(hook.kind, WebhookType::Incoming);
        let back: serde_json::Value = serde_json::to_value(&hook).unwrap();
        let orig: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back, orig);
    }
}
