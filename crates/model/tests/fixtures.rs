//! Parse and re-emit the payloads of client-libraries.md §6 (what real libraries need).
//!
//! Every fixture must survive `parse → emit` with every key and value it had. Where our typed
//! shape adds keys Discord sends but the minimal fixture leaves out (§6.2 "full additions"), the
//! added keys are listed explicitly, so a silently dropped or invented key fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use guildhall_model::channel::Channel;
use guildhall_model::gateway::{GatewayBot, Hello, Ready, VoiceServerUpdate};
use guildhall_model::guild::{Ban, Emoji, GuildCreate, Role};
use guildhall_model::invite::Invite;
use guildhall_model::message::Message;
use guildhall_model::user::{Application, User};
use guildhall_model::voice::VoiceState;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Collects, as dotted paths, keys present in `emitted` but not in `original`, and fails on any
/// key of `original` that is missing or differs in `emitted`.
fn compare(original: &Value, emitted: &Value, path: &str, added: &mut BTreeSet<String>) {
    match (original, emitted) {
        (Value::Object(o), Value::Object(e)) => {
            for (k, v) in o {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                let Some(ev) = e.get(k) else { panic!("key {p} dropped on re-emit") };
                compare(v, ev, &p, added);
            }
            for k in e.keys().filter(|k| !o.contains_key(*k)) {
                added.insert(if path.is_empty() { k.clone() } else { format!("{path}.{k}") });
            }
        }
        (Value::Array(o), Value::Array(e)) => {
            assert_eq!(o.len(), e.len(), "array {path} changed length");
            for (ov, ev) in o.iter().zip(e) {
                compare(ov, ev, &format!("{path}[]"), added);
            }
        }
        _ => assert_eq!(original, emitted, "value at {path} changed"),
    }
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(name: &str, expected_added: &[&str]) {
    let original = load(name);
    let parsed: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let emitted = serde_json::to_value(&parsed).unwrap();
    let mut added = BTreeSet::new();
    compare(&original, &emitted, "", &mut added);
    let expected: BTreeSet<String> = expected_added.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(added, expected, "{name}: keys added on re-emit");
    // Emitting is stable: parsing our own output gives the same value.
    let reparsed: T = serde_json::from_value(emitted).unwrap();
    assert_eq!(reparsed, parsed, "{name}: unstable round trip");
}

#[test]
fn users_me() {
    round_trip::<User>("users_me.json", &[]);
}

#[test]
fn application() {
    round_trip::<Application>("application.json", &[]);
}

#[test]
fn gateway_bot() {
    round_trip::<GatewayBot>("gateway_bot.json", &[]);
}

#[test]
fn hello() {
    round_trip::<Hello>("hello.json", &[]);
}

#[test]
fn ready() {
    round_trip::<Ready>("ready.json", &[]);
}

#[test]
fn guild_create_gains_only_the_fields_strict_libraries_require() {
    // §6.2: Discord sends these and serenity/twilight require several of them.
    round_trip::<GuildCreate>(
        "guild_create.json",
        &[
            "afk_channel_id",
            "application_id",
            "banner",
            "description",
            "discovery_splash",
            "premium_tier",
            "public_updates_channel_id",
            "roles[].colors.secondary_color",
            "roles[].colors.tertiary_color",
            "rules_channel_id",
            "safety_alerts_channel_id",
            "soundboard_sounds",
            "splash",
            "system_channel_id",
            "vanity_url_code",
        ],
    );
}

#[test]
fn message_create() {
    round_trip::<Message>("message_create.json", &[]);
}

#[test]
fn message_with_reply_reactions_embeds_mentions() {
    round_trip::<Message>("message_full.json", &[]);
}

#[test]
fn voice_state_update() {
    round_trip::<VoiceState>("voice_state_update.json", &[]);
}

#[test]
fn voice_server_update() {
    round_trip::<VoiceServerUpdate>("voice_server_update.json", &[]);
}

#[test]
fn invite_with_metadata() {
    round_trip::<Invite>("invite.json", &[]);
}

#[test]
fn ban() {
    round_trip::<Ban>("ban.json", &[]);
}

#[test]
fn emoji() {
    round_trip::<Emoji>("emoji.json", &[]);
}

#[test]
fn role_with_tags() {
    round_trip::<Role>("role_full.json", &[]);
}

#[test]
fn channels_of_several_types() {
    round_trip::<Channel>("channel_text_full.json", &[]);
    round_trip::<Channel>("channel_voice_full.json", &[]);
    round_trip::<Channel>("channel_dm.json", &[]);
}

#[test]
fn timestamps_are_emitted_in_discords_long_form() {
    let msg: Message = serde_json::from_value(load("message_full.json")).unwrap();
    let v = serde_json::to_value(&msg).unwrap();
    let ts = v["timestamp"].as_str().unwrap();
    assert_eq!(ts, "2025-01-02T03:04:05.123456+00:00");
    assert!(ts.len() >= 25);
}
