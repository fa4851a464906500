//! Webhooks: create/list/get/modify/delete with MANAGE_WEBHOOKS, the unauthenticated token
//! routes, execution (author, mentions, `wait`), and WEBHOOKS_UPDATE.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::Id;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::guild::Role;
use serde_json::{Value, json};
use support::Harness;

fn hooks_path(channel: impl std::fmt::Display) -> String {
    format!("/api/v10/channels/{channel}/webhooks")
}

async fn create(h: &Harness, name: &str) -> Value {
    let r = h.post(&hooks_path(h.general()), &h.owner(), json!({"name": name})).await;
    r.expect(200);
    r.body.clone()
}

fn token_path(hook: &Value) -> String {
    format!("/api/v10/webhooks/{}/{}", hook["id"].as_str().unwrap(), hook["token"].as_str().unwrap())
}

#[tokio::test]
async fn creating_webhooks() {
    let mut h = Harness::new().await;
    h.drain_events();
    let hook = create(&h, "Builds").await;
    assert_eq!(hook["type"], 1);
    assert_eq!(hook["name"], "Builds");
    assert_eq!(hook["channel_id"], h.general());
    assert_eq!(hook["guild_id"], h.guild_id().to_string());
    assert_eq!(hook["user"]["id"], h.seed.bots[0].id.to_string());
    assert!(hook["avatar"].is_null());
    assert_eq!(hook["application_id"], h.seed.bots[0].application_id.unwrap().to_string());
    let token = hook["token"].as_str().unwrap();
    assert_eq!(token.len(), 68);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
    let events = h.drain_events();
    assert_eq!((events[0].name, events[0].intent), ("WEBHOOKS_UPDATE", Intents::GUILD_WEBHOOKS));
    assert_eq!(*events[0].data, json!({"guild_id": h.guild_id().to_string(), "channel_id": h.general()}));

    let with_avatar = json!({"name": "pic", "avatar": "data:image/png;base64,iVBORw0KGgo="});
    let r = h.post(&hooks_path(h.general()), &h.owner(), with_avatar).await;
    assert_eq!(r.expect(200).str("avatar").len(), 32);

    let path = hooks_path(h.general());
    let form = |body: Value, field: &'static str| {
        let (h, path) = (&h, path.clone());
        async move { h.post(&path, &h.owner(), body).await.form_error_at(&[field]) }
    };
    assert_eq!(form(json!({}), "name").await, "BASE_TYPE_REQUIRED");
    assert_eq!(form(json!({"name": ""}), "name").await, "BASE_TYPE_BAD_LENGTH");
    assert_eq!(form(json!({"name": "x".repeat(81)}), "name").await, "BASE_TYPE_BAD_LENGTH");
    assert_eq!(form(json!({"name": "Clyde"}), "name").await, "USERNAME_INVALID_CONTAINS");
    assert_eq!(form(json!({"name": "my Discord hook"}), "name").await, "USERNAME_INVALID_CONTAINS");
    assert_eq!(form(json!({"name": 5}), "name").await, "BASE_TYPE_STRING");
    assert_eq!(form(json!({"name": "ok", "avatar": "http://x"}), "avatar").await, "IMAGE_INVALID");

    h.post(&path, &h.user(0), json!({"name": "nope"})).await.expect_error(403, 50013);
    h.post(&hooks_path("4242424242424242"), &h.owner(), json!({"name": "x"})).await.expect_error(404, 10003);
    h.post(&hooks_path("abc"), &h.owner(), json!({"name": "x"})).await.form_error_at(&["channel_id"]);
    let dm = h.post("/api/v10/users/@me/channels", &h.owner(), json!({"recipient_id": h.seed.users[0].id})).await;
    h.post(&hooks_path(dm.str("id")), &h.owner(), json!({"name": "x"})).await.expect_error(400, 50024);

    for n in 2..15 {
        create(&h, &format!("hook {n}")).await;
    }
    h.post(&path, &h.owner(), json!({"name": "sixteenth"})).await.expect_error(400, 30007);
}

#[tokio::test]
async fn listing_and_managing_webhooks() {
    let mut h = Harness::new().await;
    let hook = create(&h, "one").await;
    create(&h, "two").await;
    let list = h.get(&hooks_path(h.general()), &h.owner()).await;
    assert_eq!(list.expect(200).body.as_array().unwrap().len(), 2);
    assert!(list.body[0]["user"].is_object() && list.body[0]["token"].is_string());
    h.get(&hooks_path(h.general()), &h.user(0)).await.expect_error(403, 50013);
    let guild = format!("/api/v10/guilds/{}/webhooks", h.guild_id());
    assert_eq!(h.get(&guild, &h.owner()).await.body.as_array().unwrap().len(), 2);
    h.get(&guild, &h.user(0)).await.expect_error(403, 50013);
    h.get("/api/v10/guilds/4242424242424242/webhooks", &h.owner()).await.expect_error(404, 10004);
    // MANAGE_WEBHOOKS from a role is enough.
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_WEBHOOKS).await;
    h.get(&guild, &h.user(0)).await.expect(200);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;

    let path = format!("/api/v10/webhooks/{}", hook["id"].as_str().unwrap());
    let got = h.get(&path, &h.owner()).await;
    assert_eq!(got.expect(200).body, hook);
    h.get(&path, &h.user(0)).await.expect_error(403, 50013);
    h.get("/api/v10/webhooks/4242424242424242", &h.owner()).await.expect_error(404, 10015);

    h.drain_events();
    let other = h.seed.text_channels[1].id.to_string();
    let r = h.patch(&path, &h.owner(), json!({"name": "renamed", "channel_id": other})).await;
    r.expect(200);
    assert_eq!((r.str("name"), r.str("channel_id")), ("renamed".into(), other.clone()));
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["WEBHOOKS_UPDATE", "WEBHOOKS_UPDATE"]);
    assert_eq!(events[1].data["channel_id"], other);
    assert_eq!(h.patch(&path, &h.owner(), json!({"name": ""})).await.form_error_at(&["name"]), "BASE_TYPE_BAD_LENGTH");
    h.patch(&path, &h.owner(), json!({"channel_id": "4242424242424242"})).await.expect_error(404, 10003);
    h.patch(&path, &h.user(0), json!({"name": "mine"})).await.expect_error(403, 50013);
    let r = h.patch(&path, &h.owner(), json!({"avatar": "data:image/png;base64,iVBORw0KGgo="})).await;
    assert_eq!(r.expect(200).str("avatar").len(), 32);
    assert!(h.patch(&path, &h.owner(), json!({"avatar": null})).await.body["avatar"].is_null());

    h.delete(&path, &h.user(0)).await.expect_error(403, 50013);
    h.delete(&path, &h.owner()).await.expect(204);
    assert!(h.event_names().contains(&"WEBHOOKS_UPDATE"));
    h.get(&path, &h.owner()).await.expect_error(404, 10015);
    h.delete(&path, &h.owner()).await.expect_error(404, 10015);
}

#[tokio::test]
async fn token_routes_need_no_auth() {
    let mut h = Harness::new().await;
    let hook = create(&h, "tokened").await;
    let path = token_path(&hook);
    let got = h.call("GET", &path, None, None).await;
    got.expect(200);
    assert!(got.body.get("user").is_none());
    assert_eq!(got.body["id"], hook["id"]);
    assert_eq!(got.body["token"], hook["token"]);
    let wrong = format!("/api/v10/webhooks/{}/not-the-token", hook["id"].as_str().unwrap());
    h.call("GET", &wrong, None, None).await.expect_error(401, 50027);
    h.call("GET", "/api/v10/webhooks/4242424242424242/whatever", None, None).await.expect_error(404, 10015);

    h.drain_events();
    // `channel_id` cannot be changed through the token.
    let body = json!({"name": "via token", "channel_id": h.seed.text_channels[1].id});
    let r = h.call("PATCH", &path, None, Some(body)).await;
    r.expect(200);
    assert_eq!((r.str("name"), r.str("channel_id")), ("via token".into(), h.general()));
    assert!(r.body.get("user").is_none());
    assert_eq!(h.event_names(), vec!["WEBHOOKS_UPDATE"]);
    let bad = h.call("PATCH", &path, None, Some(json!({"name": "clyde"}))).await;
    assert_eq!(bad.form_error_at(&["name"]), "USERNAME_INVALID_CONTAINS");
    h.call("DELETE", &wrong, None, None).await.expect_error(401, 50027);
    h.call("DELETE", &path, None, None).await.expect(204);
    h.call("GET", &path, None, None).await.expect_error(404, 10015);
}

#[tokio::test]
async fn executing_posts_as_the_webhook() {
    let mut h = Harness::new().await;
    let hook = create(&h, "Announcer").await;
    let path = token_path(&hook);
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    h.drain_events();
    let r = h.call("POST", &path, None, Some(json!({"content": "no wait"}))).await;
    r.expect(204);
    assert!(r.raw.is_empty());
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_CREATE");
    let m = &events[0].data;
    assert_eq!(m["webhook_id"], hook_id);
    assert_eq!(m["author"]["id"], hook_id);
    assert_eq!(m["author"]["username"], "Announcer");
    assert_eq!((m["author"]["bot"].clone(), m["author"]["discriminator"].clone()), (json!(true), json!("0000")));
    assert!(m.get("member").is_none());

    let gid = h.guild_id();
    let role = Role {
        id: Id::new_checked(501).unwrap(),
        name: "r".into(),
        position: 1,
        mentionable: true,
        ..Role::everyone(gid, Permissions::empty())
    };
    h.core.store().create_role(gid, &role).await.unwrap();
    let u1 = h.seed.users[1].id;
    let body = json!({"content": format!("<@{u1}> <@&501> @everyone"), "username": "Override", "avatar_url": "https://example.com/a.png"});
    let r = h.call("POST", &format!("{path}?wait=true"), None, Some(body.clone())).await;
    r.expect(200);
    assert_eq!(r.body["author"]["username"], "Override");
    assert_eq!(r.body["author"]["avatar"].as_str().unwrap().len(), 32);
    // Webhooks ping users only, unless allowed_mentions says more.
    assert_eq!(r.body["mentions"][0]["id"], u1.to_string());
    assert_eq!((r.body["mention_roles"].clone(), r.body["mention_everyone"].clone()), (json!([]), json!(false)));
    let mut all = body.clone();
    all["allowed_mentions"] = json!({"parse": ["everyone", "roles"]});
    let r = h.call("POST", &format!("{path}?wait=True"), None, Some(all)).await;
    assert_eq!((r.body["mention_roles"].clone(), r.body["mention_everyone"].clone()), (json!(["501"]), json!(true)));
    assert_eq!(r.body["mentions"], json!([]));

    // The message is in the history with the webhook's author; moderators may delete it.
    let message_id = r.str("id");
    let history = h.get(&format!("/api/v10/channels/{}/messages?limit=1", h.general()), &h.user(0)).await;
    assert_eq!(history.body[0]["author"]["username"], "Override");
    let message = format!("/api/v10/channels/{}/messages/{message_id}", h.general());
    h.delete(&message, &h.user(0)).await.expect_error(403, 50013);
    h.delete(&message, &h.owner()).await.expect(204);

    h.call("POST", &path, None, Some(json!({}))).await.expect_error(400, 50006);
    let form = |query: &'static str, body: Value, field: &'static str| {
        let (h, path) = (&h, path.clone());
        async move { h.call("POST", &format!("{path}{query}"), None, Some(body)).await.form_error_at(&[field]) }
    };
    assert_eq!(form("?wait=maybe", json!({"content": "x"}), "wait").await, "BASE_TYPE_BOOLEAN");
    assert_eq!(form("", json!({"content": "x", "username": "discord"}), "username").await, "USERNAME_INVALID_CONTAINS");
    assert_eq!(form("", json!({"content": "x".repeat(2001)}), "content").await, "BASE_TYPE_MAX_LENGTH");
    let embed = json!({"embeds": [{"fields": [{"name": "", "value": "v"}]}]});
    let r = h.call("POST", &path, None, Some(embed)).await;
    assert_eq!(r.form_error_at(&["embeds", "0", "fields", "0", "name"]), "BASE_TYPE_REQUIRED");
    let wrong = format!("/api/v10/webhooks/{hook_id}/not-the-token");
    h.call("POST", &wrong, None, Some(json!({"content": "x"}))).await.expect_error(401, 50027);
    h.call("POST", &format!("{path}?thread_id={}", h.general()), None, Some(json!({"content": "x"})))
        .await
        .expect_error(404, 10003);
}

#[tokio::test]
async fn a_webhook_reads_edits_and_deletes_its_own_messages() {
    let mut h = Harness::new().await;
    let hook = create(&h, "Editor").await;
    let path = token_path(&hook);
    let sent = h.call("POST", &format!("{path}?wait=true"), None, Some(json!({"content": "v1"}))).await;
    sent.expect(200);
    let mid = sent.str("id");
    let message = format!("{path}/messages/{mid}");

    let got = h.call("GET", &message, None, None).await;
    got.expect(200);
    assert_eq!((got.str("id"), got.str("content")), (mid.clone(), "v1".into()));
    assert_eq!(got.body["webhook_id"], hook["id"]);
    assert_eq!(got.body["author"]["username"], "Editor");
    assert!(got.body.get("nonce").is_none());

    h.drain_events();
    let u1 = h.seed.users[1].id;
    let row = json!({"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "b"}]});
    let edit = json!({"content": format!("v2 <@{u1}> @everyone"), "embeds": [{"title": "t"}], "components": [row]});
    let r = h.call("PATCH", &message, None, Some(edit)).await;
    r.expect(200);
    assert_eq!(r.body["content"], format!("v2 <@{u1}> @everyone"));
    assert_eq!(r.body["embeds"][0]["title"], "t");
    assert_eq!(r.body["components"], json!([row]));
    assert!(r.body["edited_timestamp"].is_string());
    assert_eq!(r.body["author"]["username"], "Editor");
    // A webhook's default mentions: users only.
    assert_eq!(r.body["mentions"][0]["id"], u1.to_string());
    assert_eq!(r.body["mention_everyone"], false);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["MESSAGE_UPDATE"]);
    assert_eq!(events[0].data["content"], r.body["content"]);
    assert_eq!(events[0].data["webhook_id"], hook["id"]);
    let everyone = json!({"allowed_mentions": {"parse": ["everyone"]}});
    assert_eq!(h.call("PATCH", &message, None, Some(everyone)).await.body["mention_everyone"], true);
    let history = format!("/api/v10/channels/{}/messages/{mid}", h.general());
    assert_eq!(h.get(&history, &h.user(0)).await.body["embeds"][0]["title"], "t");

    let long = h.call("PATCH", &message, None, Some(json!({"content": "x".repeat(2001)}))).await;
    assert_eq!(long.form_error_at(&["content"]), "BASE_TYPE_MAX_LENGTH");
    let bad = h.call("PATCH", &message, None, Some(json!({"components": [{"components": []}]}))).await;
    assert_eq!(bad.form_error_at(&["components", "0", "type"]), "BASE_TYPE_REQUIRED");
    let empty = json!({"content": "", "embeds": [], "components": []});
    h.call("PATCH", &message, None, Some(empty)).await.expect_error(400, 50006);

    h.drain_events();
    h.call("DELETE", &message, None, None).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_DELETE");
    assert_eq!(*events[0].data, json!({"id": mid, "channel_id": h.general(), "guild_id": h.guild_id().to_string()}));
    h.call("GET", &message, None, None).await.expect_error(404, 10008);
    h.call("PATCH", &message, None, Some(json!({"content": "x"}))).await.expect_error(404, 10008);
    h.call("DELETE", &message, None, None).await.expect_error(404, 10008);
}

#[tokio::test]
async fn webhook_message_routes_only_reach_that_webhooks_messages() {
    let h = Harness::new().await;
    let (hook, other) = (create(&h, "one").await, create(&h, "two").await);
    let path = token_path(&hook);
    let mine = h.call("POST", &format!("{path}?wait=1"), None, Some(json!({"content": "mine"}))).await.str("id");
    let theirs =
        h.call("POST", &format!("{}?wait=1", token_path(&other)), None, Some(json!({"content": "x"}))).await.str("id");
    let user =
        h.post(&format!("/api/v10/channels/{}/messages", h.general()), &h.user(0), json!({"content": "u"})).await;
    for id in [theirs, user.str("id"), "4242424242424242".to_owned()] {
        let at = format!("{path}/messages/{id}");
        h.call("GET", &at, None, None).await.expect_error(404, 10008);
        h.call("PATCH", &at, None, Some(json!({"content": "hijack"}))).await.expect_error(404, 10008);
        h.call("DELETE", &at, None, None).await.expect_error(404, 10008);
    }
    assert_eq!(
        h.get(&format!("/api/v10/channels/{}/messages/{}", h.general(), user.str("id")), &h.user(0))
            .await
            .str("content"),
        "u"
    );

    // The token is the credential: a wrong one is 50027, an unknown webhook 10015.
    let id = hook["id"].as_str().unwrap();
    for method in ["GET", "PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({"content": "x"}));
        let wrong = format!("/api/v10/webhooks/{id}/not-the-token/messages/{mine}");
        h.call(method, &wrong, None, body.clone()).await.expect_error(401, 50027);
        let unknown = format!("/api/v10/webhooks/4242424242424242/t/messages/{mine}");
        h.call(method, &unknown, None, body.clone()).await.expect_error(404, 10015);
        h.call(method, &format!("{path}/messages/abc"), None, body).await.form_error_at(&["message_id"]);
    }
    // `thread_id` must name a thread of the webhook's channel.
    let at = format!("{path}/messages/{mine}");
    h.call("GET", &format!("{at}?thread_id={}", h.general()), None, None).await.expect_error(404, 10003);
    h.call("GET", &format!("{at}?thread_id=abc"), None, None).await.form_error_at(&["thread_id"]);
    h.call("GET", &at, None, None).await.expect(200);
}

#[tokio::test]
async fn guild_webhook_list_leaves_out_channels_the_actor_cannot_manage() {
    let h = Harness::new().await;
    let (visible, hidden) = (h.seed.text_channels[0].id, h.seed.text_channels[1].id);
    for channel in [visible, hidden] {
        h.post(&format!("/api/v10/channels/{channel}/webhooks"), &h.owner(), json!({"name": "hook"})).await.expect(200);
    }
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_WEBHOOKS).await;
    let mut c = h.core.store().channel(hidden).await.unwrap().unwrap();
    c.permission_overwrites = Some(vec![guildhall_model::channel::PermissionOverwrite {
        id: h.guild_id().cast(),
        kind: guildhall_model::channel::OverwriteType::Role,
        allow: Permissions::empty(),
        deny: Permissions::VIEW_CHANNEL,
    }]);
    h.core.store().update_channel(&c).await.unwrap();
    let listed = h.get(&format!("/api/v10/guilds/{}/webhooks", h.guild_id()), &h.user(0)).await;
    let listed = listed.expect(200).body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["channel_id"], visible.to_string());
    let all = h.get(&format!("/api/v10/guilds/{}/webhooks", h.guild_id()), &h.owner()).await;
    assert_eq!(all.expect(200).body.as_array().unwrap().len(), 2);
}
