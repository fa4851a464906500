//! Concurrent read-modify-write requests on one guild all take effect: none overwrites
//! another's change (e.g. a moderation script that denies many roles in parallel).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::Request;
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use serde_json::json;
use support::Harness;
use tokio::task::JoinSet;
use tower::ServiceExt;

const N: usize = 8;

async fn make_roles(h: &Harness) -> Vec<String> {
    let mut roles = Vec::new();
    for i in 0..N {
        let mut role = Role::everyone(h.guild_id(), Permissions::empty());
        role.id = h.core.next_id();
        role.name = format!("r{i}");
        role.position = 1;
        h.core.store().create_role(h.guild_id(), &role).await.unwrap();
        roles.push(role.id.to_string());
    }
    roles
}

/// Sends all `requests` at once and requires every one to succeed with 2xx.
async fn all_at_once(h: &Harness, requests: Vec<Request<Body>>) {
    let mut set = JoinSet::new();
    for request in requests {
        let router = h.router.clone();
        set.spawn(async move { router.oneshot(request).await.unwrap().status() });
    }
    while let Some(status) = set.join_next().await {
        assert!(status.unwrap().is_success());
    }
}

fn request(method: &str, path: &str, auth: &str, body: Option<serde_json::Value>) -> Request<Body> {
    let builder = Request::builder().method(method).uri(path).header("authorization", auth);
    match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_overwrites_all_land() {
    let h = Harness::new().await;
    let roles = make_roles(&h).await;
    let channel = h.general();
    let requests = roles
        .iter()
        .map(|role| {
            let path = format!("/api/v10/channels/{channel}/permissions/{role}");
            request("PUT", &path, &h.owner(), Some(json!({"type": 0, "deny": "2048"})))
        })
        .collect();
    all_at_once(&h, requests).await;
    let r = h.get(&format!("/api/v10/channels/{channel}"), &h.owner()).await;
    let overwrites = r.expect(200).body["permission_overwrites"].as_array().unwrap().clone();
    for role in &roles {
        assert!(overwrites.iter().any(|o| o["id"] == role.as_str()), "overwrite for {role} lost: {overwrites:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_role_grants_all_land() {
    let h = Harness::new().await;
    let roles = make_roles(&h).await;
    let (gid, user) = (h.guild_id(), h.seed.users[0].id);
    let requests = roles
        .iter()
        .map(|role| request("PUT", &format!("/api/v10/guilds/{gid}/members/{user}/roles/{role}"), &h.owner(), None))
        .collect();
    all_at_once(&h, requests).await;
    let member = h.get(&format!("/api/v10/guilds/{gid}/members/{user}"), &h.owner()).await;
    let held = member.expect(200).body["roles"].as_array().unwrap().len();
    assert_eq!(held, N, "{}", member.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_sides_opening_a_dm_get_one_channel() {
    let h = Harness::new().await;
    let (a, b) = (h.seed.users[0].id, h.seed.users[1].id);
    let requests = (0..N)
        .map(|i| {
            let (auth, other) = if i % 2 == 0 { (h.user(0), b) } else { (h.user(1), a) };
            request("POST", "/api/v10/users/@me/channels", &auth, Some(json!({"recipient_id": other})))
        })
        .collect();
    all_at_once(&h, requests).await;
    let first = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": b})).await;
    let second = h.post("/api/v10/users/@me/channels", &h.user(1), json!({"recipient_id": a})).await;
    assert_eq!(first.str("id"), second.str("id"));
}
