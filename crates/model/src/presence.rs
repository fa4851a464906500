//! Presences (protocol.md §1.3 op 3, §2.3 PRESENCE_UPDATE): a user's status and activities.
//!
//! Input is read leniently because real clients send odd shapes: discord.py's IDENTIFY
//! `presence` carries a legacy `game` key and a `status` that may be `null`, and activity
//! objects may carry `{}` for `timestamps`/`assets` or floats for `created_at`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::id::Id;
use crate::id::marker::{ApplicationMarker, GuildMarker, UserMarker};
use crate::wire_enum::wire_enum;

/// A user's status, lowercase on the wire. `Invisible` is only ever sent by the user; others
/// see it as `Offline`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Online,
    Dnd,
    Idle,
    Invisible,
    Offline,
}

impl Status {
    /// What other users see: `Invisible` shows as `Offline`.
    pub const fn visible(self) -> Self {
        match self {
            Self::Invisible => Self::Offline,
            other => other,
        }
    }
}

wire_enum! {
    /// What an activity is.
    #[derive(Default)]
    pub enum ActivityType: u8 {
        #[default]
        Playing = 0,
        Streaming = 1,
        Listening = 2,
        Watching = 3,
        Custom = 4,
        Competing = 5,
    }
}

/// An activity. The nested objects Discord defines (`timestamps`, `emoji`, `party`, `assets`,
/// `secrets`, `buttons`) are kept as sent: they are only relayed, never interpreted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: ActivityType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Unix milliseconds; `0` on input means "not given" (the server stamps it).
    #[serde(default, deserialize_with = "lenient_ms")]
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_id")]
    pub application_id: Option<Id<ApplicationMarker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<serde_json::Value>,
}

impl Activity {
    /// The activity as a bot may set it: Discord keeps only `name`, `state`, `type` and `url`
    /// (and its own `created_at`).
    #[must_use]
    pub fn bot_subset(self) -> Self {
        Self {
            name: self.name,
            kind: self.kind,
            url: self.url,
            created_at: self.created_at,
            state: self.state,
            ..Self::default()
        }
    }
}

/// Per-platform status; a platform the user is not on is absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<Status>,
}

/// The user inside a presence: only `id` is guaranteed (protocol.md §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUser {
    pub id: Id<UserMarker>,
}

/// PRESENCE_UPDATE `d`, and one item of GUILD_CREATE `presences` / GUILD_MEMBERS_CHUNK
/// `presences` (where `guild_id` is left out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    pub user: PresenceUser,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Id<GuildMarker>>,
    pub status: Status,
    #[serde(default)]
    pub activities: Vec<Activity>,
    #[serde(default)]
    pub client_status: ClientStatus,
}

/// op 3 PRESENCE_UPDATE `d`, also IDENTIFY's `presence`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawUpdatePresence")]
pub struct UpdatePresence {
    /// Unix ms since the client went idle, or null.
    pub since: Option<u64>,
    pub activities: Vec<Activity>,
    pub status: Status,
    pub afk: bool,
}

/// The wire form of [`UpdatePresence`] before the legacy `game` key is folded in.
#[derive(Deserialize)]
struct RawUpdatePresence {
    #[serde(default, deserialize_with = "lenient_opt_ms")]
    since: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    activities: Vec<Activity>,
    /// discord.py (IDENTIFY) sends its legacy single activity here.
    #[serde(default)]
    game: Option<Activity>,
    #[serde(default, deserialize_with = "null_as_default")]
    status: Status,
    #[serde(default, deserialize_with = "null_as_default")]
    afk: bool,
}

impl From<RawUpdatePresence> for UpdatePresence {
    fn from(raw: RawUpdatePresence) -> Self {
        let mut activities = raw.activities;
        if activities.is_empty()
            && let Some(game) = raw.game
        {
            activities.push(game);
        }
        Self { since: raw.since, activities, status: raw.status, afk: raw.afk }
    }
}

/// `null` reads as the type's default (discord.py sends `"status": null` when it only sets an
/// activity).
fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Milliseconds as an integer or a float (truncated); null or negative read as absent.
fn lenient_opt_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Number>::deserialize(d)?;
    Ok(value.and_then(|n| {
        n.as_u64().or_else(|| {
            // Saturating float-to-int cast is the intent: a timestamp given as 1.7e12.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            n.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64)
        })
    }))
}

fn lenient_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_ms(d)?.unwrap_or(0))
}

/// An application id that is not a valid snowflake is dropped rather than failing the payload.
fn lenient_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Id<ApplicationMarker>>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn status_is_lowercase_and_invisible_shows_offline() {
        assert_eq!(serde_json::to_value(Status::Dnd).unwrap(), json!("dnd"));
        assert_eq!(serde_json::from_value::<Status>(json!("invisible")).unwrap(), Status::Invisible);
        assert!(serde_json::from_value::<Status>(json!("Online")).is_err());
        assert_eq!(Status::Invisible.visible(), Status::Offline);
        assert_eq!(Status::Idle.visible(), Status::Idle);
    }

    #[test]
    fn update_presence_defaults_and_nulls() {
        let p: UpdatePresence =
            serde_json::from_value(json!({"since": null, "activities": null, "status": "idle", "afk": false})).unwrap();
        assert_eq!(p, UpdatePresence { since: None, activities: vec![], status: Status::Idle, afk: false });
        let p: UpdatePresence = serde_json::from_value(json!({"status": "dnd"})).unwrap();
        assert_eq!((p.status, p.afk, p.activities.len()), (Status::Dnd, false, 0));
        let p: UpdatePresence = serde_json::from_value(json!({"since": 1.7e12, "status": null, "afk": null})).unwrap();
        assert_eq!((p.since, p.status), (Some(1_700_000_000_000), Status::Online));
        assert!(serde_json::from_value::<UpdatePresence>(json!({"status": "away"})).is_err());
    }

    #[test]
    fn discord_py_identify_game_becomes_one_activity() {
        let p: UpdatePresence = serde_json::from_value(json!({
            "status": null, "since": 0, "afk": false,
            "game": {"type": 0, "name": "chess", "timestamps": {}, "assets": {}}
        }))
        .unwrap();
        assert_eq!(p.activities.len(), 1);
        assert_eq!((p.activities[0].name.as_str(), p.activities[0].kind), ("chess", ActivityType::Playing));
        let p: UpdatePresence = serde_json::from_value(json!({"status": "online", "game": null})).unwrap();
        assert!(p.activities.is_empty());
        // `activities` wins over the legacy key when both are given.
        let p: UpdatePresence = serde_json::from_value(json!({
            "status": "online", "game": {"name": "a"}, "activities": [{"name": "b", "type": 2}]
        }))
        .unwrap();
        assert_eq!(p.activities.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn activity_keeps_optional_fields_and_unknown_types() {
        let a: Activity = serde_json::from_value(json!({
            "name": "x", "type": 9, "url": "https://twitch.tv/x", "created_at": 5, "details": "d",
            "state": "s", "party": {"id": "p"}, "application_id": "bogus", "flags": 1
        }))
        .unwrap();
        assert_eq!(a.kind, ActivityType::Unknown(9));
        assert_eq!(a.application_id, None);
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["type"], 9);
        assert_eq!(v["party"]["id"], "p");
        assert_eq!(v["created_at"], 5);
        let bot = a.bot_subset();
        let v = serde_json::to_value(&bot).unwrap();
        assert_eq!(v, json!({"name": "x", "type": 9, "url": "https://twitch.tv/x", "created_at": 5, "state": "s"}));
    }

    #[test]
    fn presence_shape() {
        let p = Presence {
            user: PresenceUser { id: Id::new_checked(7).unwrap() },
            guild_id: Some(Id::new_checked(9).unwrap()),
            status: Status::Online,
            activities: vec![Activity { name: "n".into(), created_at: 1, ..Activity::default() }],
            client_status: ClientStatus { desktop: Some(Status::Online), ..ClientStatus::default() },
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({
                "user": {"id": "7"}, "guild_id": "9", "status": "online",
                "activities": [{"name": "n", "type": 0, "created_at": 1}],
                "client_status": {"desktop": "online"}
            })
        );
        let back: Presence = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
