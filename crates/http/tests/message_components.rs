//! Message components and flags: components are kept as sent and echoed everywhere, checked
//! for shape and count; IS_COMPONENTS_V2 and IS_VOICE_MESSAGE on create; components edits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::flags::Permissions;
use serde_json::{Value, json};
use support::Harness;

fn messages_path(channel: impl std::fmt::Display) -> String {
    format!("/api/v10/channels/{channel}/messages")
}

fn row(custom_id: &str) -> Value {
    json!({"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}]})
}

/// A components-v2 container holding `n - 1` text displays (`n` components in all).
fn container(n: usize) -> Value {
    let texts: Vec<Value> = (1..n).map(|i| json!({"type": 10, "content": format!("line {i}")})).collect();
    json!({"type": 17, "components": texts})
}

#[tokio::test]
async fn components_are_stored_and_echoed() {
    let mut h = Harness::new().await;
    let components = json!([row("a"), {"type": 1, "components": [{"type": 3, "custom_id": "pick", "options": [{"label": "x", "value": "x"}], "future_field": {"kept": true}}]}]);
    h.drain_events();
    let r =
        h.post(&messages_path(h.general()), &h.user(0), json!({"content": "pick one", "components": components})).await;
    r.expect(200);
    assert_eq!(r.body["components"], components);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_CREATE");
    assert_eq!(events[0].data["components"], components);
    let path = format!("{}/{}", messages_path(h.general()), r.str("id"));
    assert_eq!(h.get(&path, &h.user(1)).await.body["components"], components);
    assert_eq!(h.get(&messages_path(h.general()), &h.user(1)).await.body[0]["components"], components);

    // Components alone are a message; a message without them shows `[]`.
    let only = h.post(&messages_path(h.general()), &h.user(0), json!({"components": [row("b")]})).await;
    assert_eq!(only.expect(200).body["content"], "");
    let plain = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "x"})).await;
    assert_eq!(plain.body["components"], json!([]));
    h.post(&messages_path(h.general()), &h.user(0), json!({"components": []})).await.expect_error(400, 50006);

    // Permissions and unknown channels as for any message.
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::SEND_MESSAGES).await;
    h.post(&messages_path(h.general()), &h.user(0), json!({"components": [row("c")]})).await.expect_error(403, 50013);
    h.post(&messages_path("4242424242424242"), &h.user(0), json!({"components": [row("c")]}))
        .await
        .expect_error(404, 10003);
}

#[tokio::test]
async fn components_are_checked_lightly() {
    let h = Harness::new().await;
    let path = messages_path(h.general());
    let form = |body: Value, at: &'static [&'static str]| {
        let (h, path) = (&h, path.clone());
        async move { h.post(&path, &h.user(0), body).await.form_error_at(at) }
    };
    let six: Vec<Value> = (0..6).map(|i| row(&i.to_string())).collect();
    assert_eq!(form(json!({"components": six}), &["components"]).await, "BASE_TYPE_MAX_LENGTH");
    let five: Vec<Value> = (0..5).map(|i| row(&i.to_string())).collect();
    h.post(&path, &h.user(0), json!({"components": five})).await.expect(200);
    assert_eq!(form(json!({"components": [5]}), &["components", "0", "type"]).await, "BASE_TYPE_REQUIRED");
    assert_eq!(form(json!({"components": [{}]}), &["components", "0", "type"]).await, "BASE_TYPE_REQUIRED");
    let bad = json!({"components": [row("a"), {"type": "1"}]});
    assert_eq!(form(bad, &["components", "1", "type"]).await, "NUMBER_TYPE_COERCE");
    let nested = json!({"components": [{"type": 1, "components": [{"style": 1}]}]});
    assert_eq!(form(nested, &["components", "0", "components", "0", "type"]).await, "BASE_TYPE_REQUIRED");
    // Classic messages hold action rows at the top.
    let text = json!({"components": [{"type": 10, "content": "x"}]});
    assert_eq!(form(text, &["components", "0", "type"]).await, "BASE_TYPE_CHOICES");
    // Not an array at all: the body's type error.
    h.post(&path, &h.user(0), json!({"components": {"type": 1}})).await.form_error_at(&["components"]);
}

#[tokio::test]
async fn components_v2_and_voice_flags() {
    let mut h = Harness::new().await;
    let path = messages_path(h.general());
    let v2 = 1 << 15;
    h.drain_events();
    let r = h.post(&path, &h.user(0), json!({"flags": v2, "components": [container(40)]})).await;
    r.expect(200);
    assert_eq!(r.body["flags"], v2);
    assert_eq!(r.body["components"][0]["components"][38]["content"], "line 39");
    assert_eq!(h.drain_events()[0].data["flags"], v2);

    let form = |body: Value, at: &'static str| {
        let (h, path) = (&h, path.clone());
        async move { h.post(&path, &h.user(0), body).await.form_error_at(&[at]) }
    };
    let too_many = json!({"flags": v2, "components": [container(20), container(21)]});
    assert_eq!(form(too_many, "components").await, "BASE_TYPE_MAX_LENGTH");
    let with_content = json!({"flags": v2, "content": "hi", "components": [container(2)]});
    assert_eq!(form(with_content, "content").await, "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
    let with_embeds = json!({"flags": v2, "embeds": [{"title": "t"}], "components": [container(2)]});
    assert_eq!(form(with_embeds, "embeds").await, "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
    // Nothing to show is still empty.
    h.post(&path, &h.user(0), json!({"flags": v2})).await.expect_error(400, 50006);
    // Voice messages may be flagged (their audio upload is not supported).
    let voice = h.post(&path, &h.user(0), json!({"flags": 1 << 13, "content": "memo"})).await;
    assert_eq!(voice.expect(200).body["flags"], 1 << 13);
}

#[tokio::test]
async fn editing_components() {
    let mut h = Harness::new().await;
    let m = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "vote", "components": [row("a")]})).await;
    let path = format!("{}/{}", messages_path(h.general()), m.str("id"));
    h.drain_events();
    let r = h.patch(&path, &h.user(0), json!({"components": [row("b"), row("c")]})).await;
    r.expect(200);
    assert_eq!(r.body["components"], json!([row("b"), row("c")]));
    assert_eq!(r.body["content"], "vote");
    assert!(r.body["edited_timestamp"].is_string());
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_UPDATE");
    assert_eq!(events[0].data["components"], json!([row("b"), row("c")]));
    assert_eq!(h.get(&path, &h.user(1)).await.body["components"], json!([row("b"), row("c")]));

    // `null` and `[]` remove them; other fields keep the message alive.
    assert_eq!(h.patch(&path, &h.user(0), json!({"components": null})).await.body["components"], json!([]));
    h.patch(&path, &h.user(0), json!({"components": [row("d")]})).await.expect(200);
    assert_eq!(h.patch(&path, &h.user(0), json!({"components": []})).await.body["components"], json!([]));

    assert_eq!(
        h.patch(&path, &h.user(0), json!({"components": [{"type": 1}, 7]})).await.form_error_at(&[
            "components",
            "1",
            "type"
        ]),
        "BASE_TYPE_REQUIRED"
    );
    // Others cannot touch components, not even moderators; invisible channels are 50001.
    h.patch(&path, &h.owner(), json!({"components": [row("x")]})).await.expect_error(403, 50005);
    h.patch(&path, &h.user(1), json!({"components": [row("x")]})).await.expect_error(403, 50005);
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::VIEW_CHANNEL).await;
    h.patch(&path, &h.user(0), json!({"components": [row("x")]})).await.expect_error(403, 50001);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;
    let missing = format!("{}/4242424242424242", messages_path(h.general()));
    h.patch(&missing, &h.user(0), json!({"components": [row("x")]})).await.expect_error(404, 10008);

    // A components-only message cannot lose its last components.
    let only = h.post(&messages_path(h.general()), &h.user(0), json!({"components": [row("a")]})).await;
    let only_path = format!("{}/{}", messages_path(h.general()), only.str("id"));
    h.patch(&only_path, &h.user(0), json!({"components": []})).await.expect_error(400, 50006);
}

#[tokio::test]
async fn components_v2_can_be_set_on_edit_but_never_unset() {
    let h = Harness::new().await;
    let v2 = 1 << 15;
    let m = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "old style"})).await;
    let path = format!("{}/{}", messages_path(h.general()), m.str("id"));
    // Upgrading needs the legacy content gone.
    let keep = h.patch(&path, &h.user(0), json!({"flags": v2, "components": [container(2)]})).await;
    assert_eq!(keep.form_error_at(&["content"]), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
    let r = h.patch(&path, &h.user(0), json!({"flags": v2, "content": null, "components": [container(2)]})).await;
    r.expect(200);
    assert_eq!((r.body["flags"].clone(), r.body["content"].clone()), (json!(v2), json!("")));
    // Clearing the flag is ignored; content cannot come back.
    assert_eq!(h.patch(&path, &h.user(0), json!({"flags": 0})).await.expect(200).body["flags"], v2);
    let back = h.patch(&path, &h.user(0), json!({"content": "again"})).await;
    assert_eq!(back.form_error_at(&["content"]), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
    // v2 messages count every component, not rows.
    let over = h.patch(&path, &h.user(0), json!({"components": [container(41)]})).await;
    assert_eq!(over.form_error_at(&["components"]), "BASE_TYPE_MAX_LENGTH");
    let six: Vec<Value> = (0..6).map(|_| container(2)).collect();
    h.patch(&path, &h.user(0), json!({"components": six})).await.expect(200);
}

#[tokio::test]
async fn webhook_messages_keep_components() {
    let h = Harness::new().await;
    let hook =
        h.post(&format!("/api/v10/channels/{}/webhooks", h.general()), &h.owner(), json!({"name": "hook"})).await;
    let exec = format!("/api/v10/webhooks/{}/{}?wait=true", hook.str("id"), hook.str("token"));
    let r = h.call("POST", &exec, None, Some(json!({"components": [row("w")]}))).await;
    r.expect(200);
    assert_eq!(r.body["components"], json!([row("w")]));
    let got = h.get(&format!("{}/{}", messages_path(h.general()), r.str("id")), &h.user(0)).await;
    assert_eq!(got.body["components"], json!([row("w")]));
    let v2 = json!({"flags": 1 << 15, "content": "x", "components": [container(2)]});
    let bad = h.call("POST", &exec, None, Some(v2)).await;
    assert_eq!(bad.form_error_at(&["content"]), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
    let six: Vec<Value> = (0..6).map(|i| row(&i.to_string())).collect();
    assert_eq!(
        h.call("POST", &exec, None, Some(json!({"components": six}))).await.form_error_at(&["components"]),
        "BASE_TYPE_MAX_LENGTH"
    );
}
