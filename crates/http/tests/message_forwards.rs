//! Forwards (`message_reference.type` 1): a message whose only content is a frozen snapshot of
//! another message, flagged HAS_SNAPSHOT; the forwarder must be able to read the source.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::Id;
use guildhall_model::channel::{OverwriteType, PermissionOverwrite};
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, UserMarker};
use guildhall_model::message::MessageType;
use guildhall_store::MessageRecord;
use serde_json::{Value, json};
use support::Harness;

const HAS_SNAPSHOT: u64 = 1 << 14;

fn messages_path(channel: impl std::fmt::Display) -> String {
    format!("/api/v10/channels/{channel}/messages")
}

fn other(h: &Harness) -> String {
    h.seed.text_channels[1].id.to_string()
}

fn forward(channel: &str, message: &str) -> Value {
    json!({"message_reference": {"type": 1, "channel_id": channel, "message_id": message}})
}

async fn deny(h: &Harness, channel: Id<ChannelMarker>, user: Id<UserMarker>, deny: Permissions) {
    let mut c = h.core.store().channel(channel).await.unwrap().unwrap();
    let list = c.permission_overwrites.get_or_insert_with(Vec::new);
    list.push(PermissionOverwrite { id: user.cast(), kind: OverwriteType::Member, allow: Permissions::empty(), deny });
    h.core.store().update_channel(&c).await.unwrap();
}

#[tokio::test]
async fn a_forward_carries_a_frozen_snapshot() {
    let mut h = Harness::new().await;
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
    let body = json!({
        "content": format!("hello <@{u1}> <@&501>"),
        "embeds": [{"title": "t"}],
        "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "b"}]}],
        "flags": 4,
    });
    let source = h.post(&messages_path(h.general()), &h.user(0), body).await;
    source.expect(200);
    let sid = source.str("id");
    h.drain_events();

    let r = h.post(&messages_path(other(&h)), &h.user(2), forward(&h.general(), &sid)).await;
    r.expect(200);
    let m = &r.body;
    assert_eq!((m["type"].clone(), m["content"].clone(), m["embeds"].clone()), (json!(0), json!(""), json!([])));
    assert_eq!(m["flags"], HAS_SNAPSHOT);
    assert_eq!(m["author"]["id"], h.seed.users[2].id.to_string());
    assert_eq!(m["mentions"], json!([]));
    assert!(m.get("referenced_message").is_none());
    assert_eq!(
        m["message_reference"],
        json!({"type": 1, "message_id": sid, "channel_id": h.general(), "guild_id": gid.to_string()})
    );
    let snapshots = m["message_snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1);
    let s = &snapshots[0]["message"];
    assert_eq!(s["type"], 0);
    assert_eq!(s["content"], format!("hello <@{u1}> <@&501>"));
    assert_eq!(s["embeds"], json!([{"title": "t", "type": "rich"}]));
    assert_eq!(s["attachments"], json!([]));
    assert_eq!(s["timestamp"], source.body["timestamp"]);
    assert!(s["edited_timestamp"].is_null());
    assert_eq!(s["flags"], 4);
    assert_eq!(s["mentions"][0]["id"], u1.to_string());
    assert_eq!(s["mentions"][0]["username"], "user2");
    assert!(s["mentions"][0].get("member").is_none());
    assert_eq!(s["mention_roles"], json!(["501"]));
    assert_eq!(s["components"], source.body["components"]);
    for key in ["id", "author", "channel_id"] {
        assert!(s.get(key).is_none(), "snapshot has {key}");
    }
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_CREATE");
    assert_eq!(events[0].data["message_snapshots"], r.body["message_snapshots"]);
    assert_eq!(events[0].data["channel_id"], other(&h));

    // Later edits of the source do not reach the snapshot.
    let source_path = format!("{}/{sid}", messages_path(h.general()));
    h.patch(&source_path, &h.user(0), json!({"content": "changed"})).await.expect(200);
    let fwd_path = format!("{}/{}", messages_path(other(&h)), r.str("id"));
    let got = h.get(&fwd_path, &h.user(1)).await;
    assert_eq!(got.body["message_snapshots"][0]["message"]["content"], format!("hello <@{u1}> <@&501>"));
    // Nor does deleting it.
    h.delete(&source_path, &h.user(0)).await.expect(204);
    assert_eq!(h.get(&fwd_path, &h.user(1)).await.body["message_snapshots"], r.body["message_snapshots"]);

    // The forwarder may still suppress embeds on it: a forward is not an empty message.
    assert_eq!(h.patch(&fwd_path, &h.user(2), json!({"flags": 4})).await.expect(200).body["flags"], HAS_SNAPSHOT | 4);
}

#[tokio::test]
async fn forwarding_a_forward_copies_its_snapshot_and_edits_show_when() {
    let h = Harness::new().await;
    let source = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "original"})).await;
    let sid = source.str("id");
    h.patch(&format!("{}/{sid}", messages_path(h.general())), &h.user(0), json!({"content": "edited"}))
        .await
        .expect(200);
    let first = h.post(&messages_path(other(&h)), &h.user(1), forward(&h.general(), &sid)).await;
    let snap = &first.body["message_snapshots"][0]["message"];
    assert_eq!(snap["content"], "edited");
    assert!(snap["edited_timestamp"].is_string());
    // Snapshots nest one level: the forward of a forward shows the original.
    let second = h.post(&messages_path(h.general()), &h.user(2), forward(&other(&h), &first.str("id"))).await;
    second.expect(200);
    assert_eq!(second.body["message_snapshots"], first.body["message_snapshots"]);
    assert_eq!(second.body["message_reference"]["message_id"], first.body["id"]);
    // Into the same channel is fine too.
    h.post(&messages_path(h.general()), &h.user(2), forward(&h.general(), &sid)).await.expect(200);
}

#[tokio::test]
async fn forward_validation() {
    let h = Harness::new().await;
    let source = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "src"})).await;
    let sid = source.str("id");
    let path = messages_path(other(&h));
    let form = |body: Value, at: &'static [&'static str]| {
        let (h, path) = (&h, path.clone());
        async move { h.post(&path, &h.user(1), body).await.form_error_at(at) }
    };
    let no_channel = json!({"message_reference": {"type": 1, "message_id": sid}});
    assert_eq!(form(no_channel, &["message_reference", "channel_id"]).await, "BASE_TYPE_REQUIRED");
    let no_message = json!({"message_reference": {"type": 1, "channel_id": h.general()}});
    assert_eq!(form(no_message, &["message_reference", "message_id"]).await, "BASE_TYPE_REQUIRED");
    for (field, value) in [
        ("content", json!("extra")),
        ("embeds", json!([{"title": "t"}])),
        ("components", json!([{"type": 1, "components": []}])),
    ] {
        let mut body = forward(&h.general(), &sid);
        body[field] = value;
        let r = h.post(&path, &h.user(1), body).await;
        assert_eq!(r.form_error_at(&[field]), "FORWARD_CONTAINS_UNSUPPORTED_CONTENT", "{field}");
    }
    let missing = forward(&h.general(), "4242424242424242");
    assert_eq!(form(missing, &["message_reference"]).await, "MESSAGE_REFERENCE_UNKNOWN_MESSAGE");
    // A message id of another channel is unknown in the one named.
    let wrong_channel = forward(&other(&h), &sid);
    assert_eq!(form(wrong_channel, &["message_reference"]).await, "MESSAGE_REFERENCE_UNKNOWN_MESSAGE");
    // System notices cannot be forwarded.
    let mut notice =
        MessageRecord::new(h.core.next_id(), h.seed.text_channels[0].id, Some(h.guild_id()), h.seed.users[0].id, "");
    notice.kind = MessageType::UserJoin;
    h.core.store().create_message(&notice).await.unwrap();
    let system = forward(&h.general(), &notice.id.to_string());
    assert_eq!(form(system, &["message_reference"]).await, "FORWARD_CONTAINS_UNSUPPORTED_CONTENT");
    h.post(&path, &h.user(1), forward("4242424242424242", &sid)).await.expect_error(404, 10003);
    h.post(&path, &h.user(1), json!({"message_reference": {"type": 1, "channel_id": "x", "message_id": sid}}))
        .await
        .form_error_at(&["message_reference", "channel_id"]);
}

#[tokio::test]
async fn forward_permissions() {
    let h = Harness::new().await;
    let source = h.post(&messages_path(h.general()), &h.user(0), json!({"content": "src"})).await;
    let sid = source.str("id");
    let (general, path) = (h.seed.text_channels[0].id, messages_path(other(&h)));
    // Reading the source's history is required (50013), seeing it first (50001).
    deny(&h, general, h.seed.users[1].id, Permissions::READ_MESSAGE_HISTORY).await;
    h.post(&path, &h.user(1), forward(&h.general(), &sid)).await.expect_error(403, 50013);
    deny(&h, general, h.seed.users[2].id, Permissions::VIEW_CHANNEL).await;
    h.post(&path, &h.user(2), forward(&h.general(), &sid)).await.expect_error(403, 50001);
    // And sending in the target.
    deny(&h, h.seed.text_channels[1].id, h.seed.users[0].id, Permissions::SEND_MESSAGES).await;
    h.post(&path, &h.user(0), forward(&h.general(), &sid)).await.expect_error(403, 50013);
    // From a DM the forwarder is not part of: 50001.
    let dm = h.post("/api/v10/users/@me/channels", &h.user(1), json!({"recipient_id": h.seed.users[2].id})).await;
    let dm_msg = h.post(&messages_path(dm.str("id")), &h.user(1), json!({"content": "private"})).await;
    h.post(&messages_path(h.general()), &h.owner(), forward(&dm.str("id"), &dm_msg.str("id")))
        .await
        .expect_error(403, 50001);
    // A participant may forward it into the guild.
    let r = h.post(&path, &h.user(2), forward(&dm.str("id"), &dm_msg.str("id"))).await;
    r.expect(200);
    assert!(r.body["message_reference"].get("guild_id").is_none());
    assert_eq!(r.body["message_snapshots"][0]["message"]["content"], "private");
}
