//! Invites: create (and reuse), list, read, delete, accept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_bus::Audience;
use guildhall_model::Timestamp;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_store::{BanRecord, InviteRecord};
use serde_json::json;
use support::Harness;

fn invites_path(h: &Harness) -> String {
    format!("/api/v10/channels/{}/invites", h.general())
}

/// Stores an invite directly (test setup for expired or used-up ones).
async fn stored_invite(h: &Harness, code: &str, max_age: u32, max_uses: u32, uses: u32, created_ms: i64) {
    let record = InviteRecord {
        code: code.into(),
        guild_id: h.guild_id(),
        channel_id: h.seed.text_channels[0].id,
        inviter_id: Some(h.seed.bots[0].id),
        max_age,
        max_uses,
        temporary: false,
        uses,
        created_at: Timestamp::from_millis(created_ms),
    };
    h.core.store().create_invite(&record).await.unwrap();
}

fn now_ms() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

#[tokio::test]
async fn create_invites() {
    let mut h = Harness::new().await;
    h.drain_events();
    let r = h.post(&invites_path(&h), &h.user(0), json!({})).await;
    r.expect(200);
    let code = r.str("code");
    assert!((8..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    assert_eq!(
        (r.body["type"].as_u64(), r.body["max_age"].as_u64(), r.body["max_uses"].as_u64()),
        (Some(0), Some(86400), Some(0))
    );
    assert_eq!((r.body["uses"].as_u64(), r.body["temporary"].as_bool()), (Some(0), Some(false)));
    assert_eq!(r.body["guild"]["id"], h.guild_id().to_string());
    assert_eq!(
        (r.body["channel"]["id"].as_str(), r.body["channel"]["name"].as_str()),
        (Some(h.general().as_str()), Some("general"))
    );
    assert_eq!(r.body["inviter"]["id"], h.seed.users[0].id.to_string());
    assert!(r.body["expires_at"].is_string() && r.body["created_at"].is_string());
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["INVITE_CREATE"]);
    assert_eq!(events[0].intent, Intents::GUILD_INVITES);
    assert_eq!(
        events[0].audience,
        Audience::Guild {
            guild_id: h.guild_id(),
            channel_id: Some(h.seed.text_channels[0].id),
            permission: Permissions::MANAGE_CHANNELS
        }
    );
    assert_eq!((events[0].data["code"].as_str(), events[0].data["uses"].as_u64()), (Some(code.as_str()), Some(0)));

    // Same settings, same inviter: the existing invite comes back, nothing is created.
    let again = h.post(&invites_path(&h), &h.user(0), json!({})).await;
    assert_eq!(again.expect(200).str("code"), code);
    assert!(h.drain_events().is_empty());
    let unique = h.post(&invites_path(&h), &h.user(0), json!({"unique": true})).await;
    assert_ne!(unique.expect(200).str("code"), code);
    let forever = h.post(&invites_path(&h), &h.user(0), json!({"max_age": 0, "max_uses": 5, "temporary": true})).await;
    assert!(forever.expect(200).body["expires_at"].is_null());
    assert_eq!((forever.body["max_uses"].as_u64(), forever.body["temporary"].as_bool()), (Some(5), Some(true)));

    assert_eq!(
        h.post(&invites_path(&h), &h.user(0), json!({"max_age": 604801})).await.form_error_at(&["max_age"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(
        h.post(&invites_path(&h), &h.user(0), json!({"max_uses": 101})).await.form_error_at(&["max_uses"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(
        h.post(&invites_path(&h), &h.user(0), json!({"max_uses": -1})).await.form_error_at(&["max_uses"]),
        "NUMBER_TYPE_COERCE"
    );
    h.post("/api/v10/channels/123456789012345678/invites", &h.user(0), json!({})).await.expect_error(404, 10003);
    let cat = h
        .post(&format!("/api/v10/guilds/{}/channels", h.guild_id()), &h.owner(), json!({"name": "c", "type": 4}))
        .await;
    h.post(&format!("/api/v10/channels/{}/invites", cat.str("id")), &h.owner(), json!({}))
        .await
        .expect_error(400, 50024);
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::CREATE_INSTANT_INVITE).await;
    h.post(&invites_path(&h), &h.user(0), json!({"unique": true})).await.expect_error(403, 50013);
}

#[tokio::test]
async fn list_invites() {
    let h = Harness::new().await;
    let code = h.post(&invites_path(&h), &h.user(0), json!({})).await.str("code");
    stored_invite(&h, "expired1", 60, 0, 0, 1_000).await;
    let r = h.get(&invites_path(&h), &h.owner()).await;
    let list = r.expect(200).body.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "expired invites are not listed");
    assert_eq!((list[0]["code"].as_str(), list[0]["uses"].as_u64()), (Some(code.as_str()), Some(0)));
    h.get(&invites_path(&h), &h.user(0)).await.expect_error(403, 50013);
    h.get("/api/v10/channels/123456789012345678/invites", &h.owner()).await.expect_error(404, 10003);
    h.get("/api/v10/channels/general/invites", &h.owner()).await.form_error_at(&["channel_id"]);

    let guild = format!("/api/v10/guilds/{}/invites", h.guild_id());
    let r = h.get(&guild, &h.owner()).await;
    assert_eq!(r.expect(200).body[0]["max_age"], 86400);
    h.get(&guild, &h.user(0)).await.expect_error(403, 50013);
    h.get("/api/v10/guilds/123456789012345678/invites", &h.owner()).await.expect_error(404, 10004);
}

#[tokio::test]
async fn get_invite() {
    let h = Harness::new().await;
    let code = h.post(&invites_path(&h), &h.owner(), json!({})).await.str("code");
    // Anyone signed in may look, even outside the guild.
    h.delete(&format!("/api/v10/users/@me/guilds/{}", h.guild_id()), &h.user(2)).await.expect(204);
    let r = h.get(&format!("/api/v10/invites/{code}?with_counts=true"), &h.user(2)).await;
    r.expect(200);
    assert_eq!(r.body["guild"]["name"], "Test Guild");
    assert_eq!(
        (r.body["approximate_member_count"].as_u64(), r.body["approximate_presence_count"].as_u64()),
        (Some(4), Some(0))
    );
    assert!(r.body.get("uses").is_none(), "no metadata outside listings");
    let plain = h.get(&format!("/api/v10/invites/{code}"), &h.user(2)).await;
    assert!(plain.expect(200).body.get("approximate_member_count").is_none());

    stored_invite(&h, "expired1", 60, 0, 0, now_ms() - 61_000).await;
    stored_invite(&h, "usedup01", 0, 2, 2, now_ms()).await;
    for code in ["expired1", "usedup01", "nosuchcode"] {
        h.get(&format!("/api/v10/invites/{code}"), &h.user(2)).await.expect_error(404, 10006);
    }
}

#[tokio::test]
async fn delete_invites() {
    let mut h = Harness::new().await;
    let code = h.post(&invites_path(&h), &h.user(0), json!({})).await.str("code");
    h.drain_events();
    h.delete(&format!("/api/v10/invites/{code}"), &h.user(1)).await.expect_error(403, 50013);
    let r = h.delete(&format!("/api/v10/invites/{code}"), &h.owner()).await;
    assert_eq!(r.expect(200).str("code"), code);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["INVITE_DELETE"]);
    assert_eq!(*events[0].data, json!({"channel_id": h.general(), "guild_id": h.guild_id().to_string(), "code": code}));
    h.get(&format!("/api/v10/invites/{code}"), &h.owner()).await.expect_error(404, 10006);
    h.delete(&format!("/api/v10/invites/{code}"), &h.owner()).await.expect_error(404, 10006);

    // MANAGE_CHANNELS is enough, MANAGE_GUILD too.
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_GUILD).await;
    let code = h.post(&invites_path(&h), &h.user(0), json!({})).await.str("code");
    h.delete(&format!("/api/v10/invites/{code}"), &h.user(1)).await.expect(200);
}

#[tokio::test]
async fn accept_invites() {
    let mut h = Harness::new().await;
    let code = h.post(&invites_path(&h), &h.owner(), json!({"max_uses": 2})).await.str("code");
    let leave = format!("/api/v10/users/@me/guilds/{}", h.guild_id());
    h.delete(&leave, &h.user(0)).await.expect(204);
    h.drain_events();

    let r = h.post(&format!("/api/v10/invites/{code}"), &h.user(0), json!({})).await;
    r.expect(200);
    assert_eq!((r.str("code"), r.body["new_member"].as_bool()), (code.clone(), Some(true)));
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_CREATE", "GUILD_MEMBER_ADD"]);
    assert_eq!(events[0].audience, Audience::Users(vec![h.seed.users[0].id]));
    assert_eq!(events[0].data["member_count"], 5);
    assert_eq!(events[1].intent, Intents::GUILD_MEMBERS);
    assert_eq!(events[1].data["guild_id"], h.guild_id().to_string());
    assert_eq!(events[1].data["user"]["id"], h.seed.users[0].id.to_string());
    assert!(h.core.store().member(h.guild_id(), h.seed.users[0].id).await.unwrap().is_some());

    // A member accepting again gets the invite back without using it.
    let again = h.post(&format!("/api/v10/invites/{code}"), &h.user(0), json!({})).await;
    assert_eq!(again.expect(200).body["new_member"], false);
    let listed = h.get(&invites_path(&h), &h.owner()).await.body;
    assert_eq!(listed[0]["uses"], 1);

    h.post(&format!("/api/v10/invites/{code}"), &h.bot(1), json!({})).await.expect_error(403, 20001);
    h.delete(&leave, &h.user(1)).await.expect(204);
    let ban = BanRecord { guild_id: h.guild_id(), user_id: h.seed.users[1].id, reason: None };
    h.core.store().create_ban(&ban).await.unwrap();
    h.post(&format!("/api/v10/invites/{code}"), &h.user(1), json!({})).await.expect_error(403, 40007);

    // The second and last use, then the invite is gone.
    h.delete(&leave, &h.user(2)).await.expect(204);
    h.post(&format!("/api/v10/invites/{code}"), &h.user(2), json!({})).await.expect(200);
    h.delete(&leave, &h.user(2)).await.expect(204);
    h.post(&format!("/api/v10/invites/{code}"), &h.user(2), json!({})).await.expect_error(404, 10006);
    h.post("/api/v10/invites/nosuchcode", &h.user(2), json!({})).await.expect_error(404, 10006);
}
