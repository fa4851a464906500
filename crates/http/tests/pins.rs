//! Pins: the paged and the deprecated listings, pin/unpin on both route families, PIN_MESSAGES,
//! the 250 cap, the type-6 notice and the events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::channel::{OverwriteType, PermissionOverwrite};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::MessageMarker;
use guildhall_model::{Id, Nullable};
use guildhall_store::MessageRecord;
use serde_json::{Value, json};
use support::Harness;

async fn post(h: &Harness, channel: &str, content: &str) -> String {
    let r = h.post(&format!("/api/v10/channels/{channel}/messages"), &h.user(0), json!({"content": content})).await;
    r.expect(200).str("id")
}

fn pin_path(channel: &str, message: &str) -> String {
    format!("/api/v10/channels/{channel}/messages/pins/{message}")
}

#[tokio::test]
async fn pinning_posts_a_notice_and_fires_events() {
    let mut h = Harness::new().await;
    let general = h.general();
    let m = post(&h, &general, "pin me").await;
    h.drain_events();
    h.put(&pin_path(&general, &m), &h.owner(), None).await.expect(204);
    let events = h.drain_events();
    let names: Vec<_> = events.iter().map(|e| e.name).collect();
    assert_eq!(names, vec!["MESSAGE_UPDATE", "CHANNEL_PINS_UPDATE", "MESSAGE_CREATE"]);
    assert_eq!((events[0].data["id"].as_str(), events[0].data["pinned"].as_bool()), (Some(m.as_str()), Some(true)));
    let pins_update = &events[1];
    assert_eq!(pins_update.intent, Intents::GUILDS);
    assert_eq!(pins_update.data["channel_id"], general);
    assert_eq!(pins_update.data["guild_id"], h.guild_id().to_string());
    assert_eq!(pins_update.data["last_pin_timestamp"].as_str().unwrap().len(), 32);
    let notice = &events[2].data;
    assert_eq!(notice["type"], 6);
    assert_eq!(notice["content"], "");
    assert_eq!(notice["author"]["id"], h.seed.bots[0].id.to_string());
    assert_eq!(notice["message_reference"]["message_id"], m);

    let got = h.get(&format!("/api/v10/channels/{general}/messages/{m}"), &h.user(1)).await;
    assert_eq!(got.body["pinned"], true);
    let page = h.get(&format!("/api/v10/channels/{general}/messages/pins"), &h.user(1)).await;
    page.expect(200);
    assert_eq!(page.body["has_more"], false);
    assert_eq!(page.body["items"][0]["message"]["id"], m);
    assert_eq!(page.body["items"][0]["message"]["pinned"], true);
    assert_eq!(page.body["items"][0]["pinned_at"], pins_update.data["last_pin_timestamp"]);
    let legacy = h.get(&format!("/api/v10/channels/{general}/pins"), &h.user(1)).await;
    assert_eq!(legacy.expect(200).body[0]["id"], m);
    let channel = h.core.store().channel(h.seed.text_channels[0].id).await.unwrap().unwrap();
    assert!(matches!(channel.last_pin_timestamp, Some(Nullable::Value(_))));

    // Pinning again changes nothing.
    h.put(&pin_path(&general, &m), &h.owner(), None).await.expect(204);
    assert!(h.event_names().is_empty());
}

#[tokio::test]
async fn pin_permissions_and_unknowns() {
    let h = Harness::new().await;
    let general = h.general();
    let m = post(&h, &general, "x").await;
    h.put(&pin_path(&general, &m), &h.user(1), None).await.expect_error(403, 50013);
    // MANAGE_MESSAGES alone no longer allows pinning; PIN_MESSAGES does.
    let mut c = h.core.store().channel(h.seed.text_channels[0].id).await.unwrap().unwrap();
    let overwrite = |allow| PermissionOverwrite {
        id: h.seed.users[1].id.cast(),
        kind: OverwriteType::Member,
        allow,
        deny: Permissions::empty(),
    };
    c.permission_overwrites = Some(vec![overwrite(Permissions::MANAGE_MESSAGES)]);
    h.core.store().update_channel(&c).await.unwrap();
    h.put(&pin_path(&general, &m), &h.user(1), None).await.expect_error(403, 50013);
    c.permission_overwrites = Some(vec![overwrite(Permissions::PIN_MESSAGES)]);
    h.core.store().update_channel(&c).await.unwrap();
    h.put(&pin_path(&general, &m), &h.user(1), None).await.expect(204);
    h.delete(&pin_path(&general, &m), &h.user(2)).await.expect_error(403, 50013);

    h.put(&pin_path(&general, "4242424242424242"), &h.owner(), None).await.expect_error(404, 10008);
    let elsewhere = post(&h, &h.seed.text_channels[1].id.to_string(), "other channel").await;
    h.put(&pin_path(&general, &elsewhere), &h.owner(), None).await.expect_error(404, 10008);
    h.put(&pin_path("4242424242424242", &m), &h.owner(), None).await.expect_error(404, 10003);
    h.put(&pin_path(&general, "abc"), &h.owner(), None).await.form_error_at(&["message_id"]);
}

#[tokio::test]
async fn unpinning_and_the_deprecated_routes() {
    let mut h = Harness::new().await;
    let general = h.general();
    let m = post(&h, &general, "x").await;
    h.put(&format!("/api/v10/channels/{general}/pins/{m}"), &h.owner(), None).await.expect(204);
    h.drain_events();
    h.delete(&format!("/api/v10/channels/{general}/pins/{m}"), &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["MESSAGE_UPDATE", "CHANNEL_PINS_UPDATE"]);
    assert_eq!(events[0].data["pinned"], false);
    assert!(events[1].data["last_pin_timestamp"].is_null());
    let page = h.get(&format!("/api/v10/channels/{general}/messages/pins"), &h.owner()).await;
    assert_eq!(page.body, json!({"items": [], "has_more": false}));
    h.delete(&pin_path(&general, &m), &h.owner()).await.expect(204);
    assert!(h.event_names().is_empty());
    // A deleted pinned message leaves the list without a pins update.
    h.put(&pin_path(&general, &m), &h.owner(), None).await.expect(204);
    h.drain_events();
    h.delete(&format!("/api/v10/channels/{general}/messages/{m}"), &h.user(0)).await.expect(204);
    assert_eq!(h.event_names(), vec!["MESSAGE_DELETE"]);
    assert!(h.get(&format!("/api/v10/channels/{general}/pins"), &h.owner()).await.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn pins_page_backwards_in_pin_time() {
    let h = Harness::new().await;
    let general = h.general();
    let mut ids = Vec::new();
    for n in 0..3 {
        let m = post(&h, &general, &format!("m{n}")).await;
        h.put(&pin_path(&general, &m), &h.owner(), None).await.expect(204);
        ids.push(m);
    }
    let base = format!("/api/v10/channels/{general}/messages/pins");
    let page = h.get(&format!("{base}?limit=2"), &h.user(0)).await;
    let items = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|i| i["message"]["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(items(&page.body), vec![ids[2].clone(), ids[1].clone()]);
    assert_eq!(page.body["has_more"], true);
    let before = page.body["items"][1]["pinned_at"].as_str().unwrap().replace('+', "%2B");
    let rest = h.get(&format!("{base}?before={before}"), &h.user(0)).await;
    assert_eq!(items(&rest.body), vec![ids[0].clone()]);
    assert_eq!(rest.body["has_more"], false);

    assert_eq!(h.get(&format!("{base}?limit=0"), &h.user(0)).await.form_error_at(&["limit"]), "NUMBER_TYPE_MIN");
    assert_eq!(h.get(&format!("{base}?limit=51"), &h.user(0)).await.form_error_at(&["limit"]), "NUMBER_TYPE_MAX");
    h.get(&format!("{base}?before=yesterday"), &h.user(0)).await.form_error_at(&["before"]);
    h.get("/api/v10/channels/4242424242424242/messages/pins", &h.user(0)).await.expect_error(404, 10003);

    let mut c = h.core.store().channel(h.seed.text_channels[0].id).await.unwrap().unwrap();
    c.permission_overwrites = Some(vec![PermissionOverwrite {
        id: h.seed.users[2].id.cast(),
        kind: OverwriteType::Member,
        allow: Permissions::empty(),
        deny: Permissions::READ_MESSAGE_HISTORY,
    }]);
    h.core.store().update_channel(&c).await.unwrap();
    assert_eq!(h.get(&base, &h.user(2)).await.body["items"], json!([]));
    assert_eq!(h.get(&format!("/api/v10/channels/{general}/pins"), &h.user(2)).await.body, json!([]));
}

#[tokio::test]
async fn at_most_250_pins() {
    let h = Harness::new().await;
    let channel = h.seed.text_channels[0].id;
    for _ in 0..250 {
        let id: Id<MessageMarker> = h.core.next_id();
        let record = MessageRecord::new(id, channel, Some(h.guild_id()), h.seed.users[0].id, "filler");
        h.core.store().create_message(&record).await.unwrap();
        h.core.store().pin(channel, id, h.core.now()).await.unwrap();
    }
    let m = post(&h, &h.general(), "one too many").await;
    h.put(&pin_path(&h.general(), &m), &h.owner(), None).await.expect_error(400, 30003);
}

#[tokio::test]
async fn dm_pins() {
    let mut h = Harness::new().await;
    let dm = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": h.seed.users[1].id})).await;
    let dm = dm.str("id");
    let m = post(&h, &dm, "remember this").await;
    h.drain_events();
    h.put(&pin_path(&dm, &m), &h.user(1), None).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[1].name, "CHANNEL_PINS_UPDATE");
    assert_eq!(events[1].intent, Intents::DIRECT_MESSAGES);
    assert!(events[1].data.get("guild_id").is_none());
    assert_eq!(h.get(&format!("/api/v10/channels/{dm}/pins"), &h.user(0)).await.body[0]["id"], m);
}
