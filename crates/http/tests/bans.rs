//! Bans: list, get, ban (with the audit-log reason and message deletion), unban, bulk ban.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::Request;
use guildhall_bus::Audience;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, RoleMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, SnowflakeGenerator};
use guildhall_store::{MessageRecord, UserRecord};
use serde_json::{Value, json};
use support::{Harness, Resp};

async fn make_role(h: &Harness, position: i32, permissions: Permissions) -> Id<RoleMarker> {
    let mut role = Role::everyone(h.guild_id(), permissions);
    role.id = h.core.next_id();
    role.name = format!("role {position}");
    role.position = position;
    h.core.store().create_role(h.guild_id(), &role).await.unwrap();
    role.id
}

async fn give_roles(h: &Harness, user: Id<UserMarker>, roles: &[Id<RoleMarker>]) {
    let mut member = h.core.store().member(h.guild_id(), user).await.unwrap().unwrap();
    member.roles = roles.to_vec();
    h.core.store().update_member(&member).await.unwrap();
}

async fn outsider(h: &Harness, name: &str) -> Id<UserMarker> {
    let id = h.core.next_id();
    let user = User::new(id, name.to_owned());
    h.core.store().create_user(&UserRecord { user, email: None, password_hash: None }).await.unwrap();
    id
}

fn user_id(h: &Harness, n: usize) -> Id<UserMarker> {
    h.seed.users[n].id
}

fn ban_path(h: &Harness, user: impl std::fmt::Display) -> String {
    format!("/api/v10/guilds/{}/bans/{user}", h.guild_id())
}

/// A message by `author` in `channel`, sent `age_ms` ago.
async fn message(h: &Harness, channel: Id<ChannelMarker>, author: Id<UserMarker>, age_ms: u64) -> Id<MessageMarker> {
    let now = u64::try_from(h.core.now().as_millis()).unwrap();
    let id: Id<MessageMarker> =
        if age_ms == 0 { h.core.next_id() } else { SnowflakeGenerator::new(1, 1).next(now - age_ms) };
    h.core.store().create_message(&MessageRecord::new(id, channel, Some(h.guild_id()), author, "hi")).await.unwrap();
    id
}

async fn put_with_reason(h: &Harness, path: &str, reason: &str, body: Value) -> Resp {
    let request = Request::builder()
        .method("PUT")
        .uri(path)
        .header("authorization", h.owner())
        .header("content-type", "application/json")
        .header("x-audit-log-reason", reason)
        .body(Body::from(body.to_string()))
        .unwrap();
    h.send(request).await
}

fn user_ids(body: &Value) -> Vec<String> {
    body.as_array().unwrap().iter().map(|b| b["user"]["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn ban_removes_the_member_and_recent_messages() {
    let mut h = Harness::new().await;
    let target = user_id(&h, 0);
    let general = h.seed.text_channels[0].id;
    let second = h.seed.text_channels[1].id;
    let recent = [message(&h, general, target, 0).await, message(&h, general, target, 0).await];
    let lone = message(&h, second, target, 0).await;
    let old = message(&h, general, target, 2 * 3_600_000).await;
    let bystander = message(&h, general, user_id(&h, 1), 0).await;
    h.drain_events();

    let r =
        put_with_reason(&h, &ban_path(&h, target), "spam%20and%20caf%C3%A9", json!({"delete_message_seconds": 3600}))
            .await;
    r.expect(204);
    assert!(r.raw.is_empty());
    let events = h.drain_events();
    let names: Vec<&str> = events.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        vec!["GUILD_BAN_ADD", "GUILD_MEMBER_REMOVE", "GUILD_DELETE", "MESSAGE_DELETE_BULK", "MESSAGE_DELETE"]
    );
    let ban_add = &events[0];
    assert_eq!(ban_add.intent, Intents::GUILD_MODERATION);
    assert_eq!(
        ban_add.audience,
        Audience::Guild {
            guild_id: h.guild_id(),
            channel_id: None,
            permission: Permissions::BAN_MEMBERS | Permissions::VIEW_AUDIT_LOG
        }
    );
    assert_eq!(ban_add.data["guild_id"], h.guild_id().to_string());
    assert_eq!(ban_add.data["user"]["id"], target.to_string());
    assert_eq!(events[1].intent, Intents::GUILD_MEMBERS);
    assert_eq!(events[2].audience, Audience::Users(vec![target]));
    assert!(events[2].data.get("unavailable").is_none());
    let mut bulk: Vec<String> =
        events[3].data["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    bulk.sort();
    assert_eq!(bulk, recent.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(events[3].data["channel_id"], general.to_string());
    assert_eq!(events[3].data["guild_id"], h.guild_id().to_string());
    assert_eq!(*events[4].data, json!({"id": lone, "channel_id": second, "guild_id": h.guild_id()}));
    assert_eq!(events[4].intent, Intents::GUILD_MESSAGES);

    let store = h.core.store();
    for id in recent {
        assert!(store.message(general, id).await.unwrap().is_none());
    }
    assert!(store.message(second, lone).await.unwrap().is_none());
    assert!(store.message(general, old).await.unwrap().is_some(), "older than the window");
    assert!(store.message(general, bystander).await.unwrap().is_some(), "someone else's");
    assert!(store.member(h.guild_id(), target).await.unwrap().is_none());

    let r = h.get(&ban_path(&h, target), &h.owner()).await;
    r.expect(200);
    assert_eq!(r.body["reason"], "spam and café");
    assert_eq!(r.body["user"]["id"], target.to_string());
    assert!(r.body["user"].get("email").is_none());

    // Banning again updates the reason without a second GUILD_BAN_ADD.
    put_with_reason(&h, &ban_path(&h, target), "again", json!({})).await.expect(204);
    assert!(h.event_names().is_empty());
    assert_eq!(h.get(&ban_path(&h, target), &h.owner()).await.body["reason"], "again");

    // Unban.
    h.delete(&ban_path(&h, target), &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["GUILD_BAN_REMOVE"]);
    assert_eq!(events[0].data["user"]["id"], target.to_string());
    assert_eq!(events[0].intent, Intents::GUILD_MODERATION);
    h.get(&ban_path(&h, target), &h.owner()).await.expect_error(404, 10026);
    h.delete(&ban_path(&h, target), &h.owner()).await.expect_error(404, 10026);
}

#[tokio::test]
async fn ban_without_body_or_member() {
    let mut h = Harness::new().await;
    // No body, no reason: nothing deleted, reason null.
    let general = h.seed.text_channels[0].id;
    let kept = message(&h, general, user_id(&h, 1), 0).await;
    h.drain_events();
    h.put(&ban_path(&h, user_id(&h, 1)), &h.owner(), None).await.expect(204);
    assert_eq!(h.event_names(), vec!["GUILD_BAN_ADD", "GUILD_MEMBER_REMOVE", "GUILD_DELETE"]);
    assert!(h.core.store().message(general, kept).await.unwrap().is_some());
    assert!(h.get(&ban_path(&h, user_id(&h, 1)), &h.owner()).await.expect(200).body["reason"].is_null());

    // The deprecated days field deletes too.
    let gone = message(&h, general, user_id(&h, 2), 3_600_000).await;
    h.put(&ban_path(&h, user_id(&h, 2)), &h.owner(), Some(json!({"delete_message_days": 1}))).await.expect(204);
    assert!(h.core.store().message(general, gone).await.unwrap().is_none());

    // A user who is not a member can be banned ahead of time; an unknown one cannot.
    let stranger = outsider(&h, "stranger").await;
    h.drain_events();
    h.put(&ban_path(&h, stranger), &h.owner(), Some(json!({}))).await.expect(204);
    assert_eq!(h.event_names(), vec!["GUILD_BAN_ADD"]);
    h.put(&ban_path(&h, "4242424242424242"), &h.owner(), None).await.expect_error(404, 10013);
}

#[tokio::test]
async fn ban_validation() {
    let h = Harness::new().await;
    let path = ban_path(&h, user_id(&h, 0));
    let cases = [
        (json!({"delete_message_seconds": 604_801}), "delete_message_seconds", "NUMBER_TYPE_MAX"),
        (json!({"delete_message_seconds": -1}), "delete_message_seconds", "NUMBER_TYPE_MIN"),
        (json!({"delete_message_days": 8}), "delete_message_days", "NUMBER_TYPE_MAX"),
        (json!({"delete_message_seconds": "soon"}), "delete_message_seconds", "NUMBER_TYPE_COERCE"),
    ];
    for (body, field, code) in cases {
        assert_eq!(h.put(&path, &h.owner(), Some(body)).await.form_error_at(&[field]), code, "{field}");
    }
    h.put(&ban_path(&h, "abc"), &h.owner(), None).await.form_error_at(&["user_id"]);
    h.get(&ban_path(&h, "abc"), &h.owner()).await.form_error_at(&["user_id"]);
    h.delete(&ban_path(&h, "abc"), &h.owner()).await.form_error_at(&["user_id"]);
    // Nothing was banned by the rejected requests.
    assert!(h.core.store().member(h.guild_id(), user_id(&h, 0)).await.unwrap().is_some());
}

#[tokio::test]
async fn ban_permissions_and_hierarchy() {
    let h = Harness::new().await;
    let victim = user_id(&h, 0);
    h.put(&ban_path(&h, user_id(&h, 2)), &h.owner(), None).await.expect(204);
    // Without BAN_MEMBERS nothing works.
    let list = format!("/api/v10/guilds/{}/bans", h.guild_id());
    h.put(&ban_path(&h, victim), &h.user(1), None).await.expect_error(403, 50013);
    h.get(&list, &h.user(1)).await.expect_error(403, 50013);
    h.get(&ban_path(&h, user_id(&h, 2)), &h.user(1)).await.expect_error(403, 50013);
    h.delete(&ban_path(&h, user_id(&h, 2)), &h.user(1)).await.expect_error(403, 50013);

    // With it: members ranked above cannot be banned, nor the owner.
    let banner = make_role(&h, 1, Permissions::BAN_MEMBERS).await;
    let senior = make_role(&h, 2, Permissions::empty()).await;
    give_roles(&h, user_id(&h, 1), &[banner]).await;
    give_roles(&h, victim, &[senior]).await;
    h.put(&ban_path(&h, victim), &h.user(1), None).await.expect_error(403, 50013);
    h.put(&ban_path(&h, h.seed.bots[0].id), &h.user(1), None).await.expect_error(403, 50013);
    h.put(&ban_path(&h, user_id(&h, 1)), &h.user(1), None).await.expect_error(403, 50013);
    give_roles(&h, victim, &[]).await;
    h.put(&ban_path(&h, victim), &h.user(1), None).await.expect(204);
    h.get(&list, &h.user(1)).await.expect(200);
    h.delete(&ban_path(&h, victim), &h.user(1)).await.expect(204);

    h.get("/api/v10/guilds/12345678901234567/bans", &h.owner()).await.expect_error(404, 10004);
}

#[tokio::test]
async fn list_bans_ascending_with_paging() {
    let h = Harness::new().await;
    let mut banned: Vec<Id<UserMarker>> = vec![user_id(&h, 0), user_id(&h, 1), user_id(&h, 2)];
    for user in &banned {
        h.put(&ban_path(&h, user), &h.owner(), None).await.expect(204);
    }
    banned.sort();
    let ids: Vec<String> = banned.iter().map(ToString::to_string).collect();
    let base = format!("/api/v10/guilds/{}/bans", h.guild_id());
    let r = h.get(&base, &h.owner()).await;
    assert_eq!(user_ids(&r.expect(200).body), ids);
    assert!(r.body[0]["reason"].is_null() && r.body[0].get("reason").is_some());
    assert_eq!(user_ids(&h.get(&format!("{base}?limit=1"), &h.owner()).await.body), ids[..1]);
    assert_eq!(user_ids(&h.get(&format!("{base}?after=0"), &h.owner()).await.body), ids);
    assert_eq!(user_ids(&h.get(&format!("{base}?after={}", ids[0]), &h.owner()).await.body), ids[1..]);
    // `before` gives the bans just below it, still ascending, and wins over `after`.
    let r = h.get(&format!("{base}?before={}&limit=1", ids[2]), &h.owner()).await;
    assert_eq!(user_ids(&r.body), ids[1..2]);
    let r = h.get(&format!("{base}?before={}&after={}", ids[2], ids[1]), &h.owner()).await;
    assert_eq!(user_ids(&r.body), ids[..2]);

    assert_eq!(h.get(&format!("{base}?limit=0"), &h.owner()).await.form_error_at(&["limit"]), "NUMBER_TYPE_MIN");
    assert_eq!(h.get(&format!("{base}?limit=1001"), &h.owner()).await.form_error_at(&["limit"]), "NUMBER_TYPE_MAX");
    h.get(&format!("{base}?before=soon"), &h.owner()).await.form_error_at(&["before"]);
}

#[tokio::test]
async fn bulk_ban() {
    let mut h = Harness::new().await;
    let path = format!("/api/v10/guilds/{}/bulk-ban", h.guild_id());
    let stranger = outsider(&h, "stranger").await;
    h.put(&ban_path(&h, user_id(&h, 2)), &h.owner(), None).await.expect(204);
    h.drain_events();
    let owner = h.seed.bots[0].id;
    let body = json!({
        "user_ids": [user_id(&h, 0), stranger, owner, "4242424242424242", user_id(&h, 2), user_id(&h, 0)],
        "delete_message_seconds": 60,
    });
    let r = h.post(&path, &h.owner(), body).await;
    r.expect(200);
    assert_eq!(r.body["banned_users"], json!([user_id(&h, 0), stranger]));
    assert_eq!(r.body["failed_users"], json!([owner, "4242424242424242", user_id(&h, 2)]));
    assert_eq!(h.event_names(), vec!["GUILD_BAN_ADD", "GUILD_MEMBER_REMOVE", "GUILD_DELETE", "GUILD_BAN_ADD"]);
    h.get(&ban_path(&h, stranger), &h.owner()).await.expect(200);

    // Nobody banned: 500000.
    h.post(&path, &h.owner(), json!({"user_ids": [owner]})).await.expect_error(400, 500_000);
    h.post(&path, &h.owner(), json!({"user_ids": []})).await.expect_error(400, 500_000);

    let too_many: Vec<String> = (1..=201u64).map(|n| (1_000_000_000_000 + n).to_string()).collect();
    assert_eq!(
        h.post(&path, &h.owner(), json!({"user_ids": too_many})).await.form_error_at(&["user_ids"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    assert_eq!(
        h.post(&path, &h.owner(), json!({"user_ids": [stranger], "delete_message_seconds": 604_801}))
            .await
            .form_error_at(&["delete_message_seconds"]),
        "NUMBER_TYPE_MAX"
    );
    h.post(&path, &h.owner(), json!({"user_ids": ["x"]})).await.form_error_at(&["user_ids", "0"]);

    // BAN_MEMBERS alone is not enough: bulk bans also need MANAGE_GUILD.
    let banner = make_role(&h, 1, Permissions::BAN_MEMBERS).await;
    give_roles(&h, user_id(&h, 1), &[banner]).await;
    let other = outsider(&h, "other").await;
    h.post(&path, &h.user(1), json!({"user_ids": [other]})).await.expect_error(403, 50013);
    let manager = make_role(&h, 2, Permissions::BAN_MEMBERS | Permissions::MANAGE_GUILD).await;
    give_roles(&h, user_id(&h, 1), &[manager]).await;
    h.post(&path, &h.user(1), json!({"user_ids": [other]})).await.expect(200);
    h.post("/api/v10/guilds/12345678901234567/bulk-ban", &h.owner(), json!({"user_ids": [other]}))
        .await
        .expect_error(404, 10004);
}
