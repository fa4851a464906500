//! Guild channel lists, create, reorder, read, modify, delete, and permission overwrites,
//! with the events (and their audiences) each one fires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use guildhall_bus::{Audience, Event};
use guildhall_model::channel::{Channel, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::ChannelMarker;
use guildhall_model::{Id, Nullable};
use serde_json::{Value, json};
use support::Harness;

fn channels_path(h: &Harness) -> String {
    format!("/api/v10/guilds/{}/channels", h.guild_id())
}

fn cid(raw: &str) -> Id<ChannelMarker> {
    raw.parse().unwrap()
}

/// Adds an overwrite straight in the store (test setup).
async fn set_overwrite(h: &Harness, channel: Id<ChannelMarker>, overwrite: PermissionOverwrite) {
    let mut c: Channel = h.core.store().channel(channel).await.unwrap().unwrap();
    let mut list = c.permission_overwrites.clone().unwrap_or_default();
    list.retain(|o| o.id != overwrite.id);
    list.push(overwrite);
    c.permission_overwrites = Some(list);
    h.core.store().update_channel(&c).await.unwrap();
}

fn everyone_deny(h: &Harness, deny: Permissions) -> PermissionOverwrite {
    PermissionOverwrite { id: h.guild_id().cast(), kind: OverwriteType::Role, allow: Permissions::empty(), deny }
}

fn names(events: &[Arc<Event>]) -> Vec<&'static str> {
    events.iter().map(|e| e.name).collect()
}

#[tokio::test]
async fn list_shows_only_viewable_channels() {
    let h = Harness::new().await;
    let all = h.get(&channels_path(&h), &h.user(0)).await;
    assert_eq!(all.expect(200).body.as_array().unwrap().len(), 3);
    let hidden = h.seed.text_channels[1].id;
    set_overwrite(&h, hidden, everyone_deny(&h, Permissions::VIEW_CHANNEL)).await;
    let seen = h.get(&channels_path(&h), &h.user(0)).await.body;
    assert_eq!(seen.as_array().unwrap().len(), 2);
    assert!(seen.as_array().unwrap().iter().all(|c| c["id"] != hidden.to_string()));
    assert_eq!(h.get(&channels_path(&h), &h.owner()).await.body.as_array().unwrap().len(), 3);
    h.get("/api/v10/guilds/123456789012345678/channels", &h.user(0)).await.expect_error(404, 10004);
    h.get("/api/v10/guilds/x/channels", &h.user(0)).await.form_error_at(&["guild_id"]);
}

#[tokio::test]
async fn create_channels() {
    let mut h = Harness::new().await;
    h.drain_events();
    let r = h.post(&channels_path(&h), &h.owner(), json!({"name": "New Channel", "topic": "hi"})).await;
    r.expect(201);
    assert_eq!(
        (r.str("name"), r.body["type"].as_u64(), r.body["position"].as_u64()),
        ("new-channel".into(), Some(0), Some(2))
    );
    assert_eq!(r.body["guild_id"], h.guild_id().to_string());
    for key in
        ["topic", "nsfw", "rate_limit_per_user", "parent_id", "last_message_id", "permission_overwrites", "flags"]
    {
        assert!(r.body.get(key).is_some(), "text channel lacks {key}");
    }
    let events = h.drain_events();
    assert_eq!(names(&events), ["CHANNEL_CREATE"]);
    assert_eq!(
        events[0].audience,
        Audience::Guild {
            guild_id: h.guild_id(),
            channel_id: Some(cid(&r.str("id"))),
            permission: Permissions::empty()
        }
    );

    let voice = h
        .post(
            &channels_path(&h),
            &h.owner(),
            json!({"name": "Voice Two", "type": 2, "bitrate": 32000, "user_limit": 5}),
        )
        .await;
    voice.expect(201);
    assert_eq!((voice.str("name"), voice.body["bitrate"].as_u64()), ("Voice Two".into(), Some(32000)));
    assert_eq!((voice.body["user_limit"].as_u64(), voice.body["position"].as_u64()), (Some(5), Some(1)));
    assert!(voice.body["rtc_region"].is_null());

    // A channel created in a category starts with the category's overwrites.
    let deny = json!([{"id": h.guild_id(), "type": 0, "deny": "1024"}]);
    let cat = h
        .post(&channels_path(&h), &h.owner(), json!({"name": "Staff", "type": 4, "permission_overwrites": deny}))
        .await;
    let cat_id = cat.expect(201).str("id");
    let child = h.post(&channels_path(&h), &h.owner(), json!({"name": "staff-chat", "parent_id": cat_id})).await;
    child.expect(201);
    assert_eq!(child.body["parent_id"], cat_id.as_str());
    assert_eq!(child.body["permission_overwrites"], cat.body["permission_overwrites"]);
}

#[tokio::test]
async fn create_channel_errors() {
    let h = Harness::new().await;
    let path = channels_path(&h);
    let owner = h.owner();
    let bad = |body: Value| h.post(&path, &owner, body);
    assert_eq!(bad(json!({})).await.form_error_at(&["name"]), "BASE_TYPE_REQUIRED");
    assert_eq!(bad(json!({"name": ""})).await.form_error_at(&["name"]), "BASE_TYPE_BAD_LENGTH");
    assert_eq!(bad(json!({"name": "dm", "type": 1})).await.form_error_at(&["type"]), "BASE_TYPE_CHOICES");
    assert_eq!(bad(json!({"name": "t", "type": 11})).await.form_error_at(&["type"]), "BASE_TYPE_CHOICES");
    assert_eq!(
        bad(json!({"name": "v", "type": 2, "bitrate": 1000})).await.form_error_at(&["bitrate"]),
        "NUMBER_TYPE_MIN"
    );
    assert_eq!(
        bad(json!({"name": "s", "type": 13, "bitrate": 96000})).await.form_error_at(&["bitrate"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(
        bad(json!({"name": "v", "type": 2, "user_limit": 100})).await.form_error_at(&["user_limit"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(
        bad(json!({"name": "t", "rate_limit_per_user": 21601})).await.form_error_at(&["rate_limit_per_user"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(
        bad(json!({"name": "t", "topic": "x".repeat(1025)})).await.form_error_at(&["topic"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    assert_eq!(
        bad(json!({"name": "v", "type": 2, "rtc_region": "mars"})).await.form_error_at(&["rtc_region"]),
        "BASE_TYPE_CHOICES"
    );
    assert_eq!(bad(json!({"name": "t", "bitrate": "fast"})).await.form_error_at(&["bitrate"]), "NUMBER_TYPE_COERCE");
    let r = bad(json!({"name": "t", "parent_id": h.general()})).await;
    assert_eq!(r.form_error_at(&["parent_id"]), "CHANNEL_PARENT_INVALID");
    let r = bad(json!({"name": "t", "permission_overwrites": [{"id": "123456789012345678", "type": 0}]})).await;
    assert_eq!(r.form_error_at(&["permission_overwrites", "0", "id"]), "UNKNOWN_OVERWRITE_TARGET");

    h.post(&path, &h.user(0), json!({"name": "mine"})).await.expect_error(403, 50013);
    h.post("/api/v10/guilds/123456789012345678/channels", &owner, json!({"name": "x"})).await.expect_error(404, 10004);

    // Overwrites need MANAGE_ROLES, and only held bits may be set.
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_CHANNELS).await;
    let overwrites = |bits: Permissions| json!([{"id": h.seed.users[1].id, "type": 1, "allow": bits}]);
    let body = json!({"name": "a", "permission_overwrites": overwrites(Permissions::VIEW_CHANNEL)});
    h.post(&path, &h.user(0), body.clone()).await.expect_error(403, 50013);
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_CHANNELS | Permissions::MANAGE_ROLES).await;
    h.post(&path, &h.user(0), body).await.expect(201);
    let body = json!({"name": "b", "permission_overwrites": overwrites(Permissions::BAN_MEMBERS)});
    h.post(&path, &h.user(0), body).await.expect_error(403, 50013);
}

#[tokio::test]
async fn at_most_five_hundred_channels() {
    let h = Harness::new().await;
    for n in 0..497 {
        let id = h.core.next_id();
        let c = guildhall_core::defaults::guild_channel(
            id,
            h.guild_id(),
            guildhall_model::channel::ChannelType::GuildText,
            format!("c{n}"),
            10 + n,
        );
        h.core.store().create_channel(&c).await.unwrap();
    }
    h.post(&channels_path(&h), &h.owner(), json!({"name": "too-many"})).await.expect_error(400, 30013);
}

#[tokio::test]
async fn reorder_and_move_into_categories() {
    let mut h = Harness::new().await;
    let (general, second) = (h.general(), h.seed.text_channels[1].id.to_string());
    let deny = json!([{"id": h.guild_id(), "type": 0, "deny": "2048"}]);
    let cat =
        h.post(&channels_path(&h), &h.owner(), json!({"name": "Cat", "type": 4, "permission_overwrites": deny})).await;
    let cat = cat.str("id");
    h.drain_events();

    let body = json!([{"id": second, "position": 0}, {"id": general, "position": 1}]);
    h.patch(&channels_path(&h), &h.owner(), body).await.expect(204);
    assert_eq!(h.event_names(), ["CHANNEL_UPDATE", "CHANNEL_UPDATE"]);
    let list = h.get(&channels_path(&h), &h.owner()).await.body;
    let texts: Vec<&Value> = list.as_array().unwrap().iter().filter(|c| c["type"] == 0).collect();
    assert_eq!((texts[0]["id"].as_str(), texts[1]["id"].as_str()), (Some(second.as_str()), Some(general.as_str())));

    // Unchanged entries fire nothing; moving with lock_permissions syncs the overwrites.
    let body = json!([{"id": second, "position": 0}, {"id": general, "parent_id": cat, "lock_permissions": true}]);
    h.patch(&channels_path(&h), &h.owner(), body).await.expect(204);
    let events = h.drain_events();
    assert!(events.iter().all(|e| e.name == "CHANNEL_UPDATE"), "{:?}", names(&events));
    let moved = h.get(&format!("/api/v10/channels/{general}"), &h.owner()).await;
    assert_eq!(moved.body["parent_id"], cat.as_str());
    assert_eq!(moved.body["permission_overwrites"][0]["deny"], "2048");
    h.patch(&channels_path(&h), &h.owner(), json!([{"id": general, "parent_id": null}])).await.expect(204);
    assert!(h.get(&format!("/api/v10/channels/{general}"), &h.owner()).await.body["parent_id"].is_null());

    let r = h.patch(&channels_path(&h), &h.owner(), json!([{"id": "123456789012345678", "position": 1}])).await;
    assert_eq!(r.form_error_at(&["0", "id"]), "CHANNEL_INVALID");
    let r = h.patch(&channels_path(&h), &h.owner(), json!([{"id": general, "position": -1}])).await;
    assert_eq!(r.form_error_at(&["0", "position"]), "NUMBER_TYPE_MIN");
    let r = h.patch(&channels_path(&h), &h.owner(), json!([{"id": general, "parent_id": second}])).await;
    assert_eq!(r.form_error_at(&["0", "parent_id"]), "CHANNEL_PARENT_INVALID");
    let r = h.patch(&channels_path(&h), &h.owner(), json!([{"position": 1}])).await;
    assert_eq!(r.form_error_at(&["0", "id"]), "BASE_TYPE_REQUIRED");
    h.patch(&channels_path(&h), &h.user(0), json!([{"id": general, "position": 3}])).await.expect_error(403, 50013);
    let unknown_guild = "/api/v10/guilds/123456789012345678/channels";
    h.patch(unknown_guild, &h.owner(), json!([{"id": general, "position": 3}])).await.expect_error(404, 10004);
    let r = h.patch(&channels_path(&h), &h.owner(), json!({"id": general})).await;
    assert_eq!(r.form_error_at(&[]), "BASE_TYPE_ARRAY");
}

#[tokio::test]
async fn get_channel() {
    let h = Harness::new().await;
    let r = h.get(&format!("/api/v10/channels/{}", h.general()), &h.user(0)).await;
    assert_eq!(r.expect(200).str("name"), "general");
    let dm = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": h.seed.users[1].id})).await;
    let dm = dm.str("id");
    let r = h.get(&format!("/api/v10/channels/{dm}"), &h.user(1)).await;
    assert_eq!(r.expect(200).body["recipients"][0]["id"], h.seed.users[0].id.to_string());
    h.get(&format!("/api/v10/channels/{dm}"), &h.user(2)).await.expect_error(403, 50001);

    let hidden = h.seed.text_channels[1].id;
    set_overwrite(&h, hidden, everyone_deny(&h, Permissions::VIEW_CHANNEL)).await;
    h.get(&format!("/api/v10/channels/{hidden}"), &h.user(0)).await.expect_error(403, 50001);
    h.get("/api/v10/channels/123456789012345678", &h.user(0)).await.expect_error(404, 10003);
    h.get("/api/v10/channels/general", &h.user(0)).await.form_error_at(&["channel_id"]);
}

#[tokio::test]
async fn modify_channel() {
    let mut h = Harness::new().await;
    let path = format!("/api/v10/channels/{}", h.general());
    h.drain_events();
    let body = json!({"name": "Main Chat", "topic": "talk", "nsfw": true, "rate_limit_per_user": 10, "position": 4});
    let r = h.patch(&path, &h.owner(), body).await;
    r.expect(200);
    assert_eq!((r.str("name"), r.str("topic")), ("main-chat".into(), "talk".into()));
    assert_eq!((r.body["nsfw"].as_bool(), r.body["rate_limit_per_user"].as_u64()), (Some(true), Some(10)));
    assert_eq!(h.event_names(), ["CHANNEL_UPDATE"]);
    let r = h.patch(&path, &h.owner(), json!({"topic": null, "type": 5})).await;
    assert!(r.expect(200).body["topic"].is_null());
    assert_eq!(r.body["type"], 5);
    assert_eq!(h.patch(&path, &h.owner(), json!({"type": 2})).await.form_error_at(&["type"]), "CHANNEL_TYPE_INVALID");
    assert_eq!(h.patch(&path, &h.owner(), json!({"name": ""})).await.form_error_at(&["name"]), "BASE_TYPE_BAD_LENGTH");
    let voice = format!("/api/v10/channels/{}", h.seed.voice_channels[0].id);
    assert_eq!(
        h.patch(&voice, &h.owner(), json!({"bitrate": 7999})).await.form_error_at(&["bitrate"]),
        "NUMBER_TYPE_MIN"
    );
    let r = h
        .patch(
            &voice,
            &h.owner(),
            json!({"bitrate": 96000, "user_limit": 10, "rtc_region": "local", "video_quality_mode": 2}),
        )
        .await;
    assert_eq!((r.expect(200).body["bitrate"].as_u64(), r.str("rtc_region")), (Some(96000), "local".into()));
    h.patch(&path, &h.user(0), json!({"name": "x"})).await.expect_error(403, 50013);
    h.patch("/api/v10/channels/123456789012345678", &h.owner(), json!({})).await.expect_error(404, 10003);
    // Overwrite changes need MANAGE_ROLES on top of MANAGE_CHANNELS.
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_CHANNELS).await;
    h.patch(&path, &h.user(0), json!({"name": "mine"})).await.expect(200);
    let hide = json!({"permission_overwrites": [{"id": h.seed.users[1].id, "type": 1, "deny": "1024"}]});
    h.patch(&path, &h.user(0), hide).await.expect_error(403, 50013);
}

#[tokio::test]
async fn overwrite_changes_tell_members_what_they_can_see() {
    let mut h = Harness::new().await;
    let path = format!("/api/v10/channels/{}", h.general());
    h.drain_events();
    // Hide the channel from everyone but user 0 (and the owner, who sees everything).
    let overwrites = json!([
        {"id": h.guild_id(), "type": 0, "deny": "1024"},
        {"id": h.seed.users[0].id, "type": 1, "allow": "1024"},
    ]);
    h.patch(&path, &h.owner(), json!({"permission_overwrites": overwrites})).await.expect(200);
    let events = h.drain_events();
    assert_eq!(names(&events), ["CHANNEL_DELETE", "CHANNEL_UPDATE"]);
    let lost = vec![h.seed.bots[1].id, h.seed.users[1].id, h.seed.users[2].id];
    let mut expected = lost.clone();
    expected.sort();
    assert_eq!(events[0].audience, Audience::Users(expected));
    let mut kept = vec![h.seed.bots[0].id, h.seed.users[0].id];
    kept.sort();
    assert_eq!(events[1].audience, Audience::Users(kept));
    h.get(&path, &h.user(1)).await.expect_error(403, 50001);

    // Showing it again is a CHANNEL_CREATE for those who get it back.
    h.patch(&path, &h.owner(), json!({"permission_overwrites": []})).await.expect(200);
    assert_eq!(h.event_names(), ["CHANNEL_CREATE", "CHANNEL_UPDATE"]);
}

#[tokio::test]
async fn delete_channels() {
    let mut h = Harness::new().await;
    let second = h.seed.text_channels[1].id.to_string();
    let cat = h.post(&channels_path(&h), &h.owner(), json!({"name": "Cat", "type": 4})).await.str("id");
    h.patch(&channels_path(&h), &h.owner(), json!([{"id": second, "parent_id": cat}])).await.expect(204);
    h.drain_events();

    h.delete(&format!("/api/v10/channels/{cat}"), &h.user(0)).await.expect_error(403, 50013);
    let r = h.delete(&format!("/api/v10/channels/{cat}"), &h.owner()).await;
    assert_eq!(r.expect(200).str("id"), cat);
    let events = h.drain_events();
    assert_eq!(names(&events), ["CHANNEL_UPDATE", "CHANNEL_DELETE"]);
    assert!(events[0].data["parent_id"].is_null());
    let Audience::Users(users) = &events[1].audience else { panic!("CHANNEL_DELETE not addressed to users") };
    assert_eq!(users.len(), 5);
    assert!(h.get(&format!("/api/v10/channels/{second}"), &h.owner()).await.body["parent_id"].is_null());
    h.delete(&format!("/api/v10/channels/{cat}"), &h.owner()).await.expect_error(404, 10003);
    h.delete("/api/v10/channels/-5", &h.owner()).await.form_error_at(&["channel_id"]);

    // Deleting the system channel clears it on the guild.
    let general = h.general();
    h.delete(&format!("/api/v10/channels/{general}"), &h.owner()).await.expect(200);
    assert_eq!(h.event_names(), ["CHANNEL_DELETE", "GUILD_UPDATE"]);
    let guild = h.get(&format!("/api/v10/guilds/{}", h.guild_id()), &h.owner()).await;
    assert!(guild.body["system_channel_id"].is_null());
}

#[tokio::test]
async fn put_and_delete_overwrites() {
    let mut h = Harness::new().await;
    let general = h.general();
    let at = |id: String| format!("/api/v10/channels/{general}/permissions/{id}");
    let user0 = h.seed.users[0].id.to_string();
    h.drain_events();

    h.put(&at(h.guild_id().to_string()), &h.owner(), Some(json!({"type": 0, "deny": "2048"}))).await.expect(204);
    assert_eq!(h.event_names(), ["CHANNEL_UPDATE"]);
    // The type can be left out when the id says what it is.
    h.put(&at(user0.clone()), &h.owner(), Some(json!({"allow": 2048}))).await.expect(204);
    let c = h.get(&format!("/api/v10/channels/{general}"), &h.owner()).await.body;
    let overwrites = c["permission_overwrites"].as_array().unwrap();
    assert_eq!(overwrites.len(), 2);
    let mine = overwrites.iter().find(|o| o["id"] == user0.as_str()).unwrap();
    assert_eq!(
        (mine["type"].as_u64(), mine["allow"].as_str(), mine["deny"].as_str()),
        (Some(1), Some("2048"), Some("0"))
    );

    h.put(&at("123456789012345678".into()), &h.owner(), Some(json!({"type": 0}))).await.expect_error(404, 10011);
    h.put(&at("123456789012345678".into()), &h.owner(), Some(json!({"type": 1}))).await.expect_error(404, 10007);
    let r = h.put(&at("123456789012345678".into()), &h.owner(), Some(json!({}))).await;
    assert_eq!(r.form_error_at(&["type"]), "BASE_TYPE_REQUIRED");
    assert_eq!(
        h.put(&at(user0.clone()), &h.owner(), Some(json!({"type": 7}))).await.form_error_at(&["type"]),
        "BASE_TYPE_CHOICES"
    );
    let r = h.put(&at(user0.clone()), &h.owner(), Some(json!({"allow": "lots"}))).await;
    assert_eq!(r.form_error_at(&["allow"]), "BASE_TYPE_INVALID");
    h.put("/api/v10/channels/123456789012345678/permissions/1", &h.owner(), Some(json!({"type": 0})))
        .await
        .expect_error(404, 10003);

    // MANAGE_ROLES is needed, and then only held bits may be granted.
    h.put(&at(user0.clone()), &h.user(1), Some(json!({"type": 1}))).await.expect_error(403, 50013);
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_ROLES).await;
    h.put(&at(user0.clone()), &h.user(1), Some(json!({"type": 1, "allow": "1024"}))).await.expect(204);
    let ban = Permissions::BAN_MEMBERS.bits().to_string();
    h.put(&at(user0.clone()), &h.user(1), Some(json!({"type": 1, "allow": ban}))).await.expect_error(403, 50013);

    h.drain_events();
    h.delete(&at(user0.clone()), &h.owner()).await.expect(204);
    assert_eq!(h.event_names(), ["CHANNEL_UPDATE"]);
    h.delete(&at(user0.clone()), &h.owner()).await.expect_error(404, 10009);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;
    h.delete(&at(h.guild_id().to_string()), &h.user(1)).await.expect_error(403, 50013);
    let c: Channel = h.core.store().channel(cid(&general)).await.unwrap().unwrap();
    assert_eq!(c.overwrites().len(), 1);
    assert_eq!(c.parent_id, Some(Nullable::Null));
}

#[tokio::test]
async fn manage_roles_in_overwrites_needs_an_admin_or_a_channel_grant() {
    let h = Harness::new().await;
    let general = h.general();
    let at = format!("/api/v10/channels/{general}/permissions/{}", h.seed.users[0].id);
    let manage_roles = Permissions::MANAGE_ROLES.bits().to_string();
    // Guild-wide MANAGE_ROLES lets user 1 edit overwrites, but not hand out MANAGE_ROLES.
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_ROLES).await;
    h.put(&at, &h.user(1), Some(json!({"type": 1, "allow": "1024"}))).await.expect(204);
    h.put(&at, &h.user(1), Some(json!({"type": 1, "allow": manage_roles}))).await.expect_error(403, 50013);
    let create =
        json!({"name": "x", "permission_overwrites": [{"id": h.guild_id(), "type": 0, "allow": manage_roles}]});
    h.post(&channels_path(&h), &h.user(1), create.clone()).await.expect_error(403, 50013);
    // A MANAGE_ROLES overwrite for user 1 in this channel allows it; so does being the owner.
    let grant = PermissionOverwrite {
        id: h.seed.users[1].id.cast(),
        kind: OverwriteType::Member,
        allow: Permissions::MANAGE_ROLES,
        deny: Permissions::empty(),
    };
    set_overwrite(&h, cid(&general), grant).await;
    h.put(&at, &h.user(1), Some(json!({"type": 1, "allow": manage_roles}))).await.expect(204);
    h.post(&channels_path(&h), &h.owner(), create).await.expect(201);
}

#[tokio::test]
async fn reordering_checks_each_channel() {
    let h = Harness::new().await;
    let hidden = h.seed.text_channels[1].id;
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_CHANNELS | Permissions::MANAGE_ROLES).await;
    // Hidden from user 1: it may not move it, or sync it into a public category.
    set_overwrite(&h, hidden, everyone_deny(&h, Permissions::VIEW_CHANNEL)).await;
    let category = h.post(&channels_path(&h), &h.owner(), json!({"name": "public", "type": 4})).await;
    let category = category.expect(201).str("id");
    let entry = json!([{"id": hidden, "parent_id": category, "lock_permissions": true}]);
    h.patch(&channels_path(&h), &h.user(1), entry.clone()).await.expect_error(403, 50001);
    let c: Channel = h.core.store().channel(hidden).await.unwrap().unwrap();
    assert_eq!(c.overwrites().len(), 1, "still hidden");
    // Visible but without MANAGE_CHANNELS there: 50013.
    let only_view = PermissionOverwrite {
        id: h.guild_id().cast(),
        kind: OverwriteType::Role,
        allow: Permissions::VIEW_CHANNEL,
        deny: Permissions::MANAGE_CHANNELS,
    };
    set_overwrite(&h, hidden, only_view).await;
    h.patch(&channels_path(&h), &h.user(1), json!([{"id": hidden, "position": 5}])).await.expect_error(403, 50013);
    h.patch(&channels_path(&h), &h.owner(), entry).await.expect(204);
}
