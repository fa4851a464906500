//! Users, applications, gateway discovery, auth, regions, and the cross-cutting HTTP behaviour
//! (errors for malformed input, content types, 404/405, rate limits).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::Request;
use guildhall_http::{HttpConfig, Limit, RateLimitConfig};
use serde_json::json;
use support::Harness;

#[tokio::test]
async fn current_user_and_other_users() {
    let h = Harness::new().await;
    let me = h.get("/api/v10/users/@me", &h.owner()).await;
    me.expect(200);
    assert_eq!(me.headers["content-type"], "application/json");
    assert_eq!(me.body["id"], h.seed.bots[0].id.to_string());
    assert_eq!(me.body["discriminator"], "0");
    assert_eq!(me.body["bot"], true);
    for key in ["avatar", "global_name", "mfa_enabled", "verified", "flags", "email"] {
        assert!(me.body.get(key).is_some(), "missing {key}: {}", me.body);
    }
    // v9 is served too.
    h.get("/api/v9/users/@me", &h.owner()).await.expect(200);

    let other = h.get(&format!("/api/v10/users/{}", h.seed.users[0].id), &h.owner()).await;
    other.expect(200);
    assert_eq!(other.body["username"], "user1");
    assert!(other.body.get("email").is_none());
    h.get("/api/v10/users/4242424242424242", &h.owner()).await.expect_error(404, 10013);
    h.get("/api/v10/users/abc", &h.owner()).await.form_error_at(&["user_id"]);
}

#[tokio::test]
async fn authentication() {
    let h = Harness::new().await;
    h.call("GET", "/api/v10/users/@me", None, None).await.expect_error(401, 40001);
    h.get("/api/v10/users/@me", "Bot not.a.token").await.expect_error(401, 40001);
    // A bot token without `Bot ` and a user token with it are both refused.
    h.get("/api/v10/users/@me", &h.seed.bots[0].token).await.expect_error(401, 40001);
    h.get("/api/v10/users/@me", &format!("Bot {}", h.user(0))).await.expect_error(401, 40001);
    // A token for a real user with a forged signature part.
    let forged = format!("{}.AAAAAA.forged", h.seed.bots[0].token.split('.').next().unwrap());
    h.get("/api/v10/users/@me", &format!("Bot {forged}")).await.expect_error(401, 40001);
    h.get("/api/v10/users/@me", &h.user(0)).await.expect(200);
}

#[tokio::test]
async fn update_current_user_fires_user_update() {
    let mut h = Harness::new().await;
    h.drain_events();
    let r = h.patch("/api/v10/users/@me", &h.user(0), json!({"username": "renamed", "global_name": "Re Named"})).await;
    r.expect(200);
    assert_eq!((r.str("username"), r.str("global_name")), ("renamed".into(), "Re Named".into()));
    assert_eq!(h.event_names(), vec!["USER_UPDATE"]);
    // Usernames are unique: another account's name is refused, one's own (any case) is fine.
    let taken = h.patch("/api/v10/users/@me", &h.user(1), json!({"username": "Renamed"})).await;
    assert_eq!(taken.form_error_at(&["username"]), "USERNAME_ALREADY_TAKEN");
    h.patch("/api/v10/users/@me", &h.user(0), json!({"username": "RENAMED"})).await.expect(200);
    let r = h.patch("/api/v10/users/@me", &h.user(0), json!({"avatar": "data:image/png;base64,iVBORw0KGgo="})).await;
    assert_eq!(r.expect(200).str("avatar").len(), 32);
    let r = h.patch("/api/v10/users/@me", &h.user(0), json!({"avatar": null})).await;
    assert!(r.expect(200).body["avatar"].is_null());

    assert_eq!(
        h.patch("/api/v10/users/@me", &h.user(0), json!({"username": "x"})).await.form_error_at(&["username"]),
        "BASE_TYPE_BAD_LENGTH"
    );
    assert_eq!(
        h.patch("/api/v10/users/@me", &h.user(0), json!({"username": 5})).await.form_error_at(&["username"]),
        "BASE_TYPE_STRING"
    );
    assert_eq!(
        h.patch("/api/v10/users/@me", &h.user(0), json!({"avatar": "http://x"})).await.form_error_at(&["avatar"]),
        "IMAGE_INVALID"
    );
}

#[tokio::test]
async fn my_guilds_and_leaving() {
    let mut h = Harness::new().await;
    let r = h.get("/api/v10/users/@me/guilds?with_counts=true", &h.user(0)).await;
    r.expect(200);
    let guilds = r.body.as_array().unwrap();
    assert_eq!(guilds.len(), 1);
    assert_eq!(guilds[0]["id"], h.guild_id().to_string());
    assert_eq!(guilds[0]["owner"], false);
    assert_eq!(guilds[0]["approximate_member_count"], 5);
    assert!(guilds[0]["permissions"].is_string());
    // discord.py sends `with_counts=1`; `after=0` means from the start.
    let r = h.get("/api/v10/users/@me/guilds?with_counts=1&after=0", &h.user(0)).await;
    assert_eq!(r.expect(200).body[0]["approximate_member_count"], 5);
    assert!(
        h.get("/api/v10/users/@me/guilds?before=0", &h.user(0)).await.expect(200).body.as_array().unwrap().is_empty()
    );
    assert_eq!(
        h.get("/api/v10/users/@me/guilds?with_counts=maybe", &h.owner()).await.form_error_at(&["with_counts"]),
        "BASE_TYPE_BOOLEAN"
    );
    let owner_view = h.get("/api/v10/users/@me/guilds", &h.owner()).await;
    assert_eq!(owner_view.body[0]["owner"], true);
    assert!(owner_view.body[0].get("approximate_member_count").is_none());
    assert_eq!(
        h.get("/api/v10/users/@me/guilds?limit=0", &h.owner()).await.form_error_at(&["limit"]),
        "NUMBER_TYPE_MIN"
    );

    h.drain_events();
    let path = format!("/api/v10/users/@me/guilds/{}", h.guild_id());
    h.delete(&path, &h.user(0)).await.expect(204);
    assert_eq!(h.event_names(), vec!["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]);
    assert!(h.get("/api/v10/users/@me/guilds", &h.user(0)).await.body.as_array().unwrap().is_empty());
    h.delete(&path, &h.user(0)).await.expect_error(404, 10004);
    // The owner cannot leave.
    h.delete(&path, &h.owner()).await.expect_error(400, 50055);
}

#[tokio::test]
async fn dm_channels_are_reused() {
    let h = Harness::new().await;
    let body = json!({"recipient_id": h.seed.users[1].id});
    let first = h.post("/api/v10/users/@me/channels", &h.user(0), body.clone()).await;
    first.expect(200);
    assert_eq!(first.body["type"], 1);
    assert_eq!(first.body["recipients"].as_array().unwrap().len(), 1);
    assert_eq!(first.body["recipients"][0]["id"], h.seed.users[1].id.to_string());
    let again = h.post("/api/v10/users/@me/channels", &h.user(0), body).await;
    assert_eq!(again.body["id"], first.body["id"]);
    // The other side sees the same channel, naming the first user.
    let back = h.post("/api/v10/users/@me/channels", &h.user(1), json!({"recipient_id": h.seed.users[0].id})).await;
    assert_eq!(back.body["id"], first.body["id"]);
    assert_eq!(back.body["recipients"][0]["id"], h.seed.users[0].id.to_string());

    h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": "99999999999999999"}))
        .await
        .expect_error(404, 10013);
    assert_eq!(
        h.post("/api/v10/users/@me/channels", &h.user(0), json!({})).await.form_error_at(&["recipient_id"]),
        "BASE_TYPE_REQUIRED"
    );
}

#[tokio::test]
async fn applications_and_gateway() {
    let h = Harness::new().await;
    for path in ["/api/v10/applications/@me", "/api/v10/oauth2/applications/@me"] {
        let app = h.get(path, &h.owner()).await;
        app.expect(200);
        assert_eq!(app.body["id"], h.seed.bots[0].application_id.unwrap().to_string());
        assert_eq!(app.body["bot"]["id"], h.seed.bots[0].id.to_string());
        assert!(app.body["flags"].is_number());
    }
    h.get("/api/v10/applications/@me", &h.user(0)).await.expect_error(403, 20002);

    let gw = h.call("GET", "/api/v10/gateway", None, None).await;
    assert_eq!(gw.expect(200).str("url"), "ws://127.0.0.1:8080");
    let bot = h.get("/api/v10/gateway/bot", &h.owner()).await;
    bot.expect(200);
    assert!(!bot.str("url").contains('?'));
    assert_eq!(bot.body["shards"], 1);
    for key in ["total", "remaining", "reset_after", "max_concurrency"] {
        assert!(bot.body["session_start_limit"][key].is_number(), "{key}");
    }
    h.get("/api/v10/gateway/bot", &h.user(0)).await.expect_error(403, 20002);
}

#[tokio::test]
async fn voice_regions() {
    let h = Harness::new().await;
    let r = h.get("/api/v10/voice/regions", &h.owner()).await;
    r.expect(200);
    for key in ["id", "name", "optimal", "deprecated", "custom"] {
        assert!(r.body[0].get(key).is_some());
    }
    h.get(&format!("/api/v10/guilds/{}/regions", h.guild_id()), &h.user(0)).await.expect(200);
    h.get("/api/v10/guilds/12345678901234567/regions", &h.user(0)).await.expect_error(404, 10004);
}

#[tokio::test]
async fn register_and_login() {
    let h = Harness::new().await;
    let r = h
        .call(
            "POST",
            "/api/v10/auth/register",
            None,
            Some(json!({"username": "alice", "password": "hunter2hunter2", "email": "alice@example.com"})),
        )
        .await;
    r.expect(201);
    let token = r.str("token");
    let me = h.get("/api/v10/users/@me", &token).await;
    me.expect(200);
    assert_eq!(me.body["username"], "alice");
    assert_eq!(me.body["email"], "alice@example.com");
    assert!(me.body.get("bot").is_none());

    let taken = h
        .call("POST", "/api/v10/auth/register", None, Some(json!({"username": "ALICE", "password": "hunter2hunter2"})))
        .await;
    assert_eq!(taken.form_error_at(&["username"]), "USERNAME_ALREADY_TAKEN");
    let short =
        h.call("POST", "/api/v10/auth/register", None, Some(json!({"username": "bob", "password": "short"}))).await;
    assert_eq!(short.form_error_at(&["password"]), "BASE_TYPE_BAD_LENGTH");
    let missing = h.call("POST", "/api/v10/auth/register", None, Some(json!({}))).await;
    assert_eq!(missing.form_error_at(&["username"]), "BASE_TYPE_REQUIRED");
    assert_eq!(missing.form_error_at(&["password"]), "BASE_TYPE_REQUIRED");

    for login in ["alice", "alice@example.com"] {
        let r = h
            .call("POST", "/api/v10/auth/login", None, Some(json!({"login": login, "password": "hunter2hunter2"})))
            .await;
        r.expect(200);
        assert_eq!(r.str("user_id"), me.str("id"));
        h.get("/api/v10/users/@me", &r.str("token")).await.expect(200);
    }
    let bad = h
        .call("POST", "/api/v10/auth/login", None, Some(json!({"login": "alice", "password": "wrong-password"})))
        .await;
    assert_eq!(bad.form_error_at(&["password"]), "INVALID_LOGIN");
    let nobody =
        h.call("POST", "/api/v10/auth/login", None, Some(json!({"login": "nobody", "password": "whatever1"}))).await;
    assert_eq!(nobody.form_error_at(&["login"]), "INVALID_LOGIN");
    // The stored password is an argon2id hash, never the password.
    let stored = h.core.store().user_by_email("alice@example.com").await.unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
}

#[tokio::test]
async fn malformed_requests_get_discord_errors() {
    let h = Harness::new().await;
    let send = |body: &'static str, content_type: &'static str| {
        Request::builder()
            .method("PATCH")
            .uri("/api/v10/users/@me")
            .header("authorization", h.user(0))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    h.send(send("{not json", "application/json")).await.expect_error(400, 50109);
    h.send(send("[1,2]", "application/json")).await.expect_error(400, 50035);
    h.send(send(r#"{"username":"abc"}"#, "text/plain")).await.expect_error(400, 50035);
    h.send(send(r#"{"username":"abcd"}"#, "application/json; charset=utf-8")).await.expect(200);
    let huge = format!(r#"{{"username":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    let big = Request::builder()
        .method("PATCH")
        .uri("/api/v10/users/@me")
        .header("authorization", h.user(0))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    h.send(big).await.expect_error(413, 40005);

    h.get("/api/v10/no/such/route", &h.user(0)).await.expect_error(404, 0);
    h.call("GET", "/nothing", None, None).await.expect_error(404, 0);
    h.call("PUT", "/api/v10/users/@me", Some(&h.user(0)), None).await.expect_error(405, 0);
}

#[tokio::test(start_paused = true)]
async fn flooding_a_route_gives_429_with_discords_headers() {
    let config = HttpConfig {
        rate_limits: RateLimitConfig { default: Limit::per_ms(3, 5000), ..RateLimitConfig::default() },
        ..HttpConfig::default()
    };
    let h = Harness::with_config(config).await;
    for remaining in ["2", "1", "0"] {
        let r = h.get("/api/v10/users/@me", &h.owner()).await;
        r.expect(200);
        assert_eq!(r.headers["x-ratelimit-limit"], "3");
        assert_eq!(r.headers["x-ratelimit-remaining"], remaining);
        for name in ["x-ratelimit-reset", "x-ratelimit-reset-after", "x-ratelimit-bucket"] {
            assert!(r.headers.contains_key(name), "{name}");
        }
    }
    let limited = h.get("/api/v10/users/@me", &h.owner()).await;
    limited.expect(429);
    assert_eq!(limited.headers["content-type"], "application/json");
    assert_eq!(limited.headers["x-ratelimit-scope"], "user");
    assert!(limited.headers.contains_key("via"));
    assert!(limited.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(limited.body["global"], false);
    assert!(limited.body["retry_after"].as_f64().unwrap() > 0.0);
    // Another token has its own bucket; the window resets.
    h.get("/api/v10/users/@me", &h.user(0)).await.expect(200);
    tokio::time::advance(std::time::Duration::from_secs(5)).await;
    h.get("/api/v10/users/@me", &h.owner()).await.expect(200);

    // The global limit.
    let config = HttpConfig {
        rate_limits: RateLimitConfig { global: Limit::per_ms(2, 1000), ..RateLimitConfig::default() },
        ..HttpConfig::default()
    };
    let h = Harness::with_config(config).await;
    h.get("/api/v10/users/@me", &h.owner()).await.expect(200);
    h.get("/api/v10/voice/regions", &h.owner()).await.expect(200);
    let limited = h.get("/api/v10/applications/@me", &h.owner()).await;
    limited.expect(429);
    assert_eq!(limited.headers["x-ratelimit-global"], "true");
    assert_eq!(limited.headers["x-ratelimit-scope"], "global");
    assert_eq!(limited.body["global"], true);
}

#[tokio::test]
async fn login_is_limited_per_address_whatever_token_is_sent() {
    let config = HttpConfig {
        rate_limits: RateLimitConfig { auth: Limit::per_ms(2, 60_000), ..RateLimitConfig::default() },
        ..HttpConfig::default()
    };
    let h = Harness::with_config(config).await;
    let body = json!({"login": "nobody", "password": "wrong-password"});
    for n in 0..2 {
        let r = h.call("POST", "/api/v10/auth/login", Some(&format!("made.up.{n}")), Some(body.clone())).await;
        assert_eq!(r.status, 400);
    }
    let r = h.call("POST", "/api/v10/auth/login", Some("another.made.up"), Some(body)).await;
    r.expect(429);
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_refused() {
    let config = HttpConfig {
        rate_limits: RateLimitConfig { invalid_requests: Limit::per_ms(3, 600_000), ..RateLimitConfig::default() },
        ..HttpConfig::default()
    };
    let h = Harness::with_config(config).await;
    for _ in 0..3 {
        h.get("/api/v10/users/@me", "Bot guessed.token.value").await.expect_error(401, 40001);
    }
    // Now even a valid token from that address waits, with scope `shared`.
    let refused = h.get("/api/v10/users/@me", &h.owner()).await;
    refused.expect(429);
    assert_eq!(refused.headers["x-ratelimit-scope"], "shared");
    assert!(refused.headers.contains_key("retry-after") && refused.headers.contains_key("via"));
}
