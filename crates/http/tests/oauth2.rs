//! `POST /oauth2/authorize?client_id=…&scope=bot`: a guild manager adds a bot to their guild.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::Harness;

/// User 0 creates a guild of their own (the seeded bots are not in it).
async fn own_guild(h: &Harness) -> String {
    h.post("/api/v10/guilds", &h.user(0), json!({ "name": "mine" })).await.expect(201).str("id")
}

fn authorize_path(h: &Harness, bot: usize) -> String {
    format!(
        "/api/v10/oauth2/authorize?client_id={}&scope=bot+applications.commands",
        h.seed.bots[bot].application_id.unwrap()
    )
}

#[tokio::test]
async fn a_manager_adds_a_bot_once() {
    let mut h = Harness::new().await;
    let guild = own_guild(&h).await;
    let bot = h.seed.bots[1].id;
    h.get(&format!("/api/v10/guilds/{guild}/members/{bot}"), &h.user(0)).await.expect_error(404, 10007);
    h.drain_events();

    let body = json!({ "guild_id": guild, "permissions": "0", "authorize": true });
    let reply = h.post(&authorize_path(&h, 1), &h.user(0), body.clone()).await;
    reply.expect(200);
    assert!(reply.str("location").contains(&guild));
    let member = h.get(&format!("/api/v10/guilds/{guild}/members/{bot}"), &h.user(0)).await;
    member.expect(200);
    assert_eq!(member.body["user"]["bot"], json!(true));
    assert_eq!(h.event_names(), ["GUILD_CREATE", "GUILD_MEMBER_ADD"]);

    // Again: nothing changes, no second join.
    h.post(&authorize_path(&h, 1), &h.user(0), body).await.expect(200);
    assert!(h.event_names().is_empty());
}

#[tokio::test]
async fn discords_refusals() {
    let h = Harness::new().await;
    let guild = own_guild(&h).await;
    let body = json!({ "guild_id": guild, "permissions": "0", "authorize": true });
    // Bots cannot authorize; a user outside the guild cannot see it; one without MANAGE_GUILD
    // in the seeded guild is refused.
    h.post(&authorize_path(&h, 1), &h.bot(0), body.clone()).await.expect_error(403, 20001);
    h.post(&authorize_path(&h, 1), &h.user(1), body.clone()).await.expect_error(404, 10004);
    let seeded = json!({ "guild_id": h.guild_id().to_string(), "authorize": true });
    h.post(&authorize_path(&h, 1), &h.user(1), seeded).await.expect_error(403, 50013);
    // Unknown application, and a scope without `bot`.
    h.post("/api/v10/oauth2/authorize?client_id=123&scope=bot", &h.user(0), body.clone())
        .await
        .expect_error(404, 10002);
    let identify_only =
        format!("/api/v10/oauth2/authorize?client_id={}&scope=identify", h.seed.bots[1].application_id.unwrap());
    h.post(&identify_only, &h.user(0), body.clone()).await.expect_error(400, 50035);
    // A banned bot stays out.
    let bot0 = h.seed.bots[0].id;
    h.put(&format!("/api/v10/guilds/{guild}/bans/{bot0}"), &h.user(0), Some(json!({}))).await.expect(204);
    h.post(&authorize_path(&h, 0), &h.user(0), body).await.expect_error(403, 40007);
    h.get(&format!("/api/v10/guilds/{guild}/members/{bot0}"), &h.user(0)).await.expect_error(404, 10007);
}
