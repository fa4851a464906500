//! Guilds: create (with Discord's defaults, or with placeholder roles and channels), read,
//! modify, delete, and the GUILD_CREATE payload.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_bus::Audience;
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Guild;
use guildhall_model::id::marker::GuildMarker;
use guildhall_model::{Id, Timestamp};
use guildhall_store::MemberRecord;
use serde_json::{Value, json};
use support::Harness;

fn guild_path(h: &Harness) -> String {
    format!("/api/v10/guilds/{}", h.guild_id())
}

#[tokio::test]
async fn create_guild_with_discords_defaults() {
    let mut h = Harness::new().await;
    h.drain_events();
    let r = h.post("/api/v10/guilds", &h.user(0), json!({"name": "My Guild"})).await;
    r.expect(201);
    let id = r.str("id");
    assert_eq!(r.body["owner_id"], h.seed.users[0].id.to_string());
    assert_eq!(r.body["name"], "My Guild");
    let roles = r.body["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!((roles[0]["id"].as_str(), roles[0]["name"].as_str()), (Some(id.as_str()), Some("@everyone")));
    assert_eq!(roles[0]["permissions"], "2248473465835073");
    for key in ["icon", "unicode_emoji", "colors"] {
        assert!(roles[0].get(key).is_some(), "role lacks {key}");
    }
    for key in ["afk_timeout", "verification_level", "features", "emojis", "stickers", "preferred_locale", "nsfw_level"]
    {
        assert!(r.body.get(key).is_some(), "guild lacks {key}");
    }

    // The default layout: two categories, `general` (the system channel) and `General`.
    let channels = h.get(&format!("/api/v10/guilds/{id}/channels"), &h.user(0)).await;
    let channels = channels.expect(200).body.as_array().unwrap().clone();
    let named = |name: &str| channels.iter().find(|c| c["name"] == name).unwrap().clone();
    let (text_cat, voice_cat, general, voice) =
        (named("Text Channels"), named("Voice Channels"), named("general"), named("General"));
    assert_eq!((text_cat["type"].as_u64(), voice["type"].as_u64()), (Some(4), Some(2)));
    assert_eq!(general["parent_id"], text_cat["id"]);
    assert_eq!(voice["parent_id"], voice_cat["id"]);
    assert_eq!(r.body["system_channel_id"], general["id"]);

    // GUILD_CREATE to the creator only, in the full gateway shape.
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_CREATE"]);
    assert_eq!(events[0].audience, Audience::Users(vec![h.seed.users[0].id]));
    let d = &*events[0].data;
    assert_eq!(d["id"], id.as_str());
    assert_eq!((d["member_count"].as_u64(), d["large"].as_bool()), (Some(1), Some(false)));
    assert_eq!(d["members"][0]["user"]["id"], h.seed.users[0].id.to_string());
    assert_eq!(d["channels"].as_array().unwrap().len(), 4);
    assert!(d["joined_at"].is_string());
    for key in
        ["voice_states", "threads", "presences", "stage_instances", "guild_scheduled_events", "soundboard_sounds"]
    {
        assert_eq!(d[key], json!([]), "{key}");
    }

    // Bots may create guilds too.
    h.post("/api/v10/guilds", &h.bot(1), json!({"name": "Bot Guild"})).await.expect(201);
}

#[tokio::test]
async fn create_guild_with_placeholders() {
    let h = Harness::new().await;
    let body = json!({
        "name": "Planned",
        "verification_level": 1,
        "afk_timeout": 60,
        "roles": [
            {"id": 0, "permissions": "1024"},
            {"id": 1, "name": "mods", "permissions": 8, "color": 255, "hoist": true},
        ],
        "channels": [
            {"id": 10, "name": "Cat", "type": 4},
            {"id": 11, "name": "Chat Room", "type": 0, "parent_id": 10,
             "permission_overwrites": [{"id": 1, "type": 0, "allow": "2048"}]},
            {"id": "12", "name": "Lounge", "type": 2, "bitrate": 32000},
        ],
        "afk_channel_id": 12,
        "system_channel_id": 11,
    });
    let r = h.post("/api/v10/guilds", &h.user(0), body).await;
    r.expect(201);
    let id = r.str("id");
    assert_eq!((r.body["verification_level"].as_u64(), r.body["afk_timeout"].as_u64()), (Some(1), Some(60)));
    let roles = r.body["roles"].as_array().unwrap();
    assert_eq!(roles[0]["permissions"], "1024");
    let mods = roles.iter().find(|r| r["name"] == "mods").unwrap();
    assert_eq!(
        (mods["position"].as_u64(), mods["color"].as_u64(), mods["hoist"].as_bool()),
        (Some(1), Some(255), Some(true))
    );

    let channels = h.get(&format!("/api/v10/guilds/{id}/channels"), &h.user(0)).await.body;
    let channels = channels.as_array().unwrap();
    assert_eq!(channels.len(), 3);
    let cat = channels.iter().find(|c| c["name"] == "Cat").unwrap();
    let chat = channels.iter().find(|c| c["type"] == 0).unwrap();
    let lounge = channels.iter().find(|c| c["name"] == "Lounge").unwrap();
    assert_eq!(chat["name"], "chat-room");
    assert_eq!(chat["parent_id"], cat["id"]);
    assert_eq!(chat["permission_overwrites"][0]["id"], mods["id"]);
    assert_eq!(chat["permission_overwrites"][0]["allow"], "2048");
    assert_eq!(lounge["bitrate"], 32000);
    assert_eq!(r.body["afk_channel_id"], lounge["id"]);
    assert_eq!(r.body["system_channel_id"], chat["id"]);
}

#[tokio::test]
async fn create_guild_validation() {
    let h = Harness::new().await;
    let auth = h.user(0);
    let post = |body: Value| h.post("/api/v10/guilds", &auth, body);
    assert_eq!(post(json!({})).await.form_error_at(&["name"]), "BASE_TYPE_REQUIRED");
    assert_eq!(post(json!({"name": "x"})).await.form_error_at(&["name"]), "BASE_TYPE_BAD_LENGTH");
    assert_eq!(post(json!({"name": 5})).await.form_error_at(&["name"]), "BASE_TYPE_STRING");
    assert_eq!(
        post(json!({"name": "ok", "afk_timeout": 61})).await.form_error_at(&["afk_timeout"]),
        "BASE_TYPE_CHOICES"
    );
    assert_eq!(
        post(json!({"name": "ok", "verification_level": 9})).await.form_error_at(&["verification_level"]),
        "BASE_TYPE_CHOICES"
    );
    let r = post(json!({"name": "ok", "channels": [{"name": "dm", "type": 1}, {"name": "c", "parent_id": 99}]})).await;
    assert_eq!(r.form_error_at(&["channels", "0", "type"]), "BASE_TYPE_CHOICES");
    assert_eq!(r.form_error_at(&["channels", "1", "parent_id"]), "CHANNEL_PARENT_INVALID");
    // A parent must be listed before its children.
    let r =
        post(json!({"name": "ok", "channels": [{"name": "c", "parent_id": 1}, {"id": 1, "name": "cat", "type": 4}]}))
            .await;
    assert_eq!(r.form_error_at(&["channels", "0", "parent_id"]), "CHANNEL_PARENT_INVALID");
    let r = post(json!({"name": "ok", "channels": [{"id": 1, "name": "v", "type": 2}], "system_channel_id": 1})).await;
    assert_eq!(r.form_error_at(&["system_channel_id"]), "CHANNEL_INVALID");
    let r = post(json!({"name": "ok", "channels": [{"type": 0}]})).await;
    assert_eq!(r.form_error_at(&["channels", "0", "name"]), "BASE_TYPE_REQUIRED");
    let r = post(json!({"name": "ok", "roles": [{}, {"name": "x".repeat(101)}]})).await;
    assert_eq!(r.form_error_at(&["roles", "1", "name"]), "BASE_TYPE_MAX_LENGTH");
    // Nothing was created by the failed attempts.
    let mine = h.get("/api/v10/users/@me/guilds", &h.user(0)).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn at_most_one_hundred_guilds() {
    let h = Harness::new().await;
    let store = h.core.store();
    let user = h.seed.users[0].id;
    for n in 0..99u64 {
        let id: Id<GuildMarker> = Id::new_checked(9_000_000 + n).unwrap();
        store.create_guild(&Guild::new(id, format!("g{n}"), h.seed.bots[0].id)).await.unwrap();
        store.add_member(&MemberRecord::new(id, user, Timestamp::from_millis(0))).await.unwrap();
    }
    h.post("/api/v10/guilds", &h.user(0), json!({"name": "one too many"})).await.expect_error(400, 30001);
    h.post("/api/v10/guilds", &h.user(1), json!({"name": "fine"})).await.expect(201);
}

#[tokio::test]
async fn create_guild_role_and_channel_caps() {
    let h = Harness::new().await;
    let roles: Vec<_> = (0..252).map(|n| json!({"id": n, "name": format!("r{n}")})).collect();
    h.post("/api/v10/guilds", &h.user(0), json!({"name": "many roles", "roles": roles})).await.expect_error(400, 30005);
    let roles: Vec<_> = (0..251).map(|n| json!({"id": n, "name": format!("r{n}")})).collect();
    let ok = h.post("/api/v10/guilds", &h.user(0), json!({"name": "just enough", "roles": roles})).await;
    assert_eq!(ok.expect(201).body["roles"].as_array().unwrap().len(), 251, "@everyone and 250 roles");
    let channels: Vec<_> = (0..501).map(|n| json!({"name": format!("c{n}")})).collect();
    h.post("/api/v10/guilds", &h.user(0), json!({"name": "many channels", "channels": channels}))
        .await
        .expect_error(400, 30013);
}

#[tokio::test]
async fn get_guild() {
    let h = Harness::new().await;
    let r = h.get(&guild_path(&h), &h.user(0)).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Test Guild");
    assert_eq!(r.body["roles"].as_array().unwrap().len(), 1);
    assert!(r.body.get("approximate_member_count").is_none());
    assert!(r.body.get("owner").is_none() && r.body.get("permissions").is_none());
    let counted = h.get(&format!("{}?with_counts=true", guild_path(&h)), &h.user(0)).await;
    assert_eq!(counted.expect(200).body["approximate_member_count"], 5);
    assert_eq!(counted.body["approximate_presence_count"], 0);

    // A guild the caller is not in looks like one that does not exist.
    let other = h.post("/api/v10/guilds", &h.user(0), json!({"name": "Private"})).await.str("id");
    h.get(&format!("/api/v10/guilds/{other}"), &h.user(1)).await.expect_error(404, 10004);
    h.get("/api/v10/guilds/123456789012345678", &h.user(0)).await.expect_error(404, 10004);
    h.get("/api/v10/guilds/nope", &h.user(0)).await.form_error_at(&["guild_id"]);
}

#[tokio::test]
async fn update_guild() {
    let mut h = Harness::new().await;
    let voice = h.seed.voice_channels[0].id.to_string();
    let text = h.general();
    h.drain_events();
    let body = json!({
        "name": "Renamed",
        "afk_channel_id": voice,
        "afk_timeout": 900,
        "system_channel_id": text,
        "rules_channel_id": text,
        "description": "about",
        "preferred_locale": "de",
        "features": ["COMMUNITY", "VANITY_URL"],
        "verification_level": 2,
        "premium_progress_bar_enabled": true,
        "icon": "data:image/png;base64,iVBORw0KGgo=",
    });
    let r = h.patch(&guild_path(&h), &h.owner(), body).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Renamed");
    assert_eq!((r.body["afk_channel_id"].as_str(), r.body["afk_timeout"].as_u64()), (Some(voice.as_str()), Some(900)));
    assert_eq!(r.body["rules_channel_id"], text.as_str());
    assert_eq!((r.str("description"), r.str("preferred_locale")), ("about".into(), "de".into()));
    // Only toggleable features can be set.
    assert_eq!(r.body["features"], json!(["COMMUNITY"]));
    assert_eq!(r.str("icon").len(), 32);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_UPDATE"]);
    assert_eq!(events[0].data["name"], "Renamed");
    // Clearing with null.
    let r = h.patch(&guild_path(&h), &h.owner(), json!({"afk_channel_id": null, "description": null})).await;
    assert!(r.expect(200).body["afk_channel_id"].is_null() && r.body["description"].is_null());

    let path = guild_path(&h);
    let owner = h.owner();
    let bad = |body: Value| h.patch(&path, &owner, body);
    assert_eq!(bad(json!({"afk_timeout": 61})).await.form_error_at(&["afk_timeout"]), "BASE_TYPE_CHOICES");
    assert_eq!(bad(json!({"afk_channel_id": text})).await.form_error_at(&["afk_channel_id"]), "CHANNEL_TYPE_INVALID");
    assert_eq!(
        bad(json!({"system_channel_id": "123456789012345678"})).await.form_error_at(&["system_channel_id"]),
        "CHANNEL_INVALID"
    );
    assert_eq!(bad(json!({"preferred_locale": "xx"})).await.form_error_at(&["preferred_locale"]), "BASE_TYPE_CHOICES");
    assert_eq!(bad(json!({"name": "x"})).await.form_error_at(&["name"]), "BASE_TYPE_BAD_LENGTH");
    assert_eq!(bad(json!({"icon": "nope"})).await.form_error_at(&["icon"]), "IMAGE_INVALID");
    assert_eq!(
        bad(json!({"description": "d".repeat(301)})).await.form_error_at(&["description"]),
        "BASE_TYPE_MAX_LENGTH"
    );

    h.patch(&path, &h.user(0), json!({"name": "Mine"})).await.expect_error(403, 50013);
    h.patch("/api/v10/guilds/123456789012345678", &h.owner(), json!({})).await.expect_error(404, 10004);
}

#[tokio::test]
async fn ownership_transfer_and_delete() {
    let mut h = Harness::new().await;
    let path = guild_path(&h);
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_GUILD).await;
    // MANAGE_GUILD is not enough to transfer ownership or delete.
    let to_user0 = json!({"owner_id": h.seed.users[0].id});
    h.patch(&path, &h.user(1), to_user0.clone()).await.expect_error(403, 50013);
    h.delete(&path, &h.user(1)).await.expect_error(403, 50013);
    h.patch(&path, &h.owner(), json!({"owner_id": "123456789012345678"})).await.expect_error(404, 10007);

    let r = h.patch(&path, &h.owner(), to_user0).await;
    assert_eq!(r.expect(200).body["owner_id"], h.seed.users[0].id.to_string());
    h.delete(&path, &h.owner()).await.expect_error(403, 50013);

    h.drain_events();
    h.delete(&path, &h.user(0)).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_DELETE"]);
    assert_eq!(*events[0].data, json!({"id": h.guild_id().to_string()}));
    let Audience::Users(users) = &events[0].audience else { panic!("not addressed to users") };
    assert_eq!(users.len(), 5);
    h.get(&path, &h.user(0)).await.expect_error(404, 10004);
    h.delete(&path, &h.user(0)).await.expect_error(404, 10004);
    h.delete("/api/v10/guilds/0x1", &h.user(0)).await.form_error_at(&["guild_id"]);
    h.patch("/api/v10/guilds/0x1", &h.user(0), json!({})).await.form_error_at(&["guild_id"]);
}
