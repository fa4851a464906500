//! Messages: history, create (validation, permissions, mentions, replies, nonces, slowmode),
//! edit, delete, bulk delete, typing, DMs, and the events each fires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_bus::Audience;
use guildhall_core::defaults::guild_channel;
use guildhall_model::channel::{ChannelType, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, UserMarker};
use guildhall_model::message::MessageType;
use guildhall_model::{Id, Timestamp};
use guildhall_store::MessageRecord;
use serde_json::{Value, json};
use support::Harness;

fn messages_path(channel: impl std::fmt::Display) -> String {
    format!("/api/v10/channels/{channel}/messages")
}

fn channel_id(h: &Harness) -> Id<ChannelMarker> {
    h.seed.text_channels[0].id
}

/// Adds a member overwrite on `channel` for `user` (test setup through the store).
async fn overwrite(
    h: &Harness,
    channel: Id<ChannelMarker>,
    user: Id<UserMarker>,
    allow: Permissions,
    deny: Permissions,
) {
    let mut c = h.core.store().channel(channel).await.unwrap().unwrap();
    let list = c.permission_overwrites.get_or_insert_with(Vec::new);
    list.push(PermissionOverwrite { id: user.cast(), kind: OverwriteType::Member, allow, deny });
    h.core.store().update_channel(&c).await.unwrap();
}

async fn post(h: &Harness, auth: &str, body: Value) -> Value {
    let r = h.post(&messages_path(h.general()), auth, body).await;
    r.expect(200);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_message_has_discords_shape_and_fires_message_create() {
    let mut h = Harness::new().await;
    h.drain_events();
    let m = post(&h, &h.user(0), json!({"content": "hello", "nonce": "abc123"})).await;
    for key in [
        "id",
        "channel_id",
        "author",
        "content",
        "timestamp",
        "edited_timestamp",
        "tts",
        "mention_everyone",
        "mentions",
        "mention_roles",
        "attachments",
        "embeds",
        "pinned",
        "type",
        "flags",
        "components",
        "member",
    ] {
        assert!(m.get(key).is_some(), "missing {key}: {m}");
    }
    assert_eq!(m["content"], "hello");
    assert_eq!(m["author"]["id"], h.seed.users[0].id.to_string());
    assert_eq!(m["author"]["discriminator"], "0");
    assert!(m["edited_timestamp"].is_null());
    assert_eq!((m["type"].as_u64(), m["flags"].as_u64(), m["pinned"].as_bool()), (Some(0), Some(0), Some(false)));
    assert_eq!(m["timestamp"].as_str().unwrap().len(), 32);
    assert!(m["member"].get("user").is_none());
    assert!(m["member"]["joined_at"].is_string());
    assert_eq!(m["nonce"], "abc123");
    assert!(m.get("reactions").is_none());

    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.name, e.intent), ("MESSAGE_CREATE", Intents::GUILD_MESSAGES));
    assert!(matches!(e.audience, Audience::Guild { channel_id: Some(c), .. } if c == channel_id(&h)));
    assert_eq!(e.data["guild_id"], h.guild_id().to_string());
    assert_eq!(e.data["nonce"], "abc123");
    assert_eq!(e.data["channel_type"], 0);
    assert!(e.data["member"].is_object() && e.data["member"].get("user").is_none());

    // Reads do not echo the nonce.
    let path = format!("{}/{}", messages_path(h.general()), id_of(&m));
    let got = h.get(&path, &h.user(1)).await;
    got.expect(200);
    assert!(got.body.get("nonce").is_none());
    assert_eq!(got.body["content"], "hello");
    // An integer nonce comes back as an integer.
    let m = post(&h, &h.user(0), json!({"content": "x", "nonce": 12345})).await;
    assert_eq!(m["nonce"], 12345);
}

#[tokio::test]
async fn create_message_validation() {
    let h = Harness::new().await;
    let path = messages_path(h.general());
    let err = |body: Value| {
        let h = &h;
        let path = path.clone();
        async move { h.post(&path, &h.user(0), body).await }
    };
    assert_eq!(err(json!({"content": "a".repeat(2001)})).await.form_error_at(&["content"]), "BASE_TYPE_MAX_LENGTH");
    assert_eq!(err(json!({"content": 5})).await.form_error_at(&["content"]), "BASE_TYPE_STRING");
    let embeds: Vec<Value> = (0..11).map(|_| json!({"title": "t"})).collect();
    assert_eq!(err(json!({"embeds": embeds})).await.form_error_at(&["embeds"]), "BASE_TYPE_MAX_LENGTH");
    let long = json!({"embeds": [{"title": "t".repeat(257)}]});
    assert_eq!(err(long).await.form_error_at(&["embeds", "0", "title"]), "BASE_TYPE_MAX_LENGTH");
    assert_eq!(
        err(json!({"content": "x", "nonce": "n".repeat(26)})).await.form_error_at(&["nonce"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    err(json!({"content": "x", "nonce": {"a": 1}})).await.form_error_at(&["nonce"]);
    assert_eq!(err(json!({"content": "x", "flags": 2})).await.form_error_at(&["flags"]), "BASE_TYPE_INVALID");
    let am = json!({"content": "x", "allowed_mentions": {"parse": ["nobody"]}});
    assert_eq!(err(am).await.form_error_at(&["allowed_mentions", "parse", "0"]), "BASE_TYPE_CHOICES");
    let am = json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}});
    assert_eq!(err(am).await.form_error_at(&["allowed_mentions"]), "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE");
    let reply = json!({"content": "x", "message_reference": {"type": 7, "channel_id": h.general()}});
    assert_eq!(err(reply.clone()).await.form_error_at(&["message_reference", "type"]), "BASE_TYPE_CHOICES");
    assert_eq!(err(reply).await.form_error_at(&["message_reference", "message_id"]), "BASE_TYPE_REQUIRED");

    err(json!({})).await.expect_error(400, 50006);
    err(json!({"content": "   "})).await.expect_error(400, 50006);
    // Embeds alone are a message; clients cannot choose the embed type.
    let r = err(json!({"embeds": [{"title": "t", "type": "video", "provider": {"name": "p"}}]})).await;
    assert_eq!(r.expect(200).body["embeds"][0], json!({"title": "t", "type": "rich"}));
    // Flags SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS and IS_VOICE_MESSAGE are allowed.
    assert_eq!(err(json!({"content": "x", "flags": 4100})).await.expect(200).body["flags"], 4100);
    assert_eq!(err(json!({"content": "x", "flags": 8192})).await.expect(200).body["flags"], 8192);
    // Server-set flags (here HAS_SNAPSHOT) are refused.
    assert_eq!(err(json!({"content": "x", "flags": 16384})).await.form_error_at(&["flags"]), "BASE_TYPE_INVALID");

    h.post(&messages_path("4242424242424242"), &h.user(0), json!({"content": "x"})).await.expect_error(404, 10003);
    h.post(&messages_path("nope"), &h.user(0), json!({"content": "x"})).await.form_error_at(&["channel_id"]);
    let category = guild_channel(Id::new_checked(77).unwrap(), h.guild_id(), ChannelType::GuildCategory, "cat", 9);
    h.core.store().create_channel(&category).await.unwrap();
    h.post(&messages_path(77), &h.owner(), json!({"content": "x"})).await.expect_error(400, 50008);
}

#[tokio::test]
async fn create_message_permissions() {
    let h = Harness::new().await;
    let body = json!({"content": "hi"});
    // No view: 50001; view but no send: 50013.
    overwrite(&h, channel_id(&h), h.seed.users[0].id, Permissions::empty(), Permissions::VIEW_CHANNEL).await;
    h.post(&messages_path(h.general()), &h.user(0), body.clone()).await.expect_error(403, 50001);
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::SEND_MESSAGES).await;
    h.post(&messages_path(h.general()), &h.user(1), body.clone()).await.expect_error(403, 50013);
    h.post(&messages_path(h.general()), &h.owner(), body.clone()).await.expect(200);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;

    // A timed-out member cannot send.
    let mut member = h.core.store().member(h.guild_id(), h.seed.users[1].id).await.unwrap().unwrap();
    member.communication_disabled_until = Some(Timestamp::from_millis(h.core.now().as_millis() + 3_600_000));
    h.core.store().update_member(&member).await.unwrap();
    h.post(&messages_path(h.general()), &h.user(1), body.clone()).await.expect_error(403, 50013);

    // Voice channel chat needs CONNECT too.
    let voice = h.seed.voice_channels[0].id;
    h.post(&messages_path(voice), &h.user(2), body.clone()).await.expect(200);
    overwrite(&h, voice, h.seed.users[2].id, Permissions::empty(), Permissions::CONNECT).await;
    h.post(&messages_path(voice), &h.user(2), body.clone()).await.expect_error(403, 50001);
    h.get(&messages_path(voice), &h.user(2)).await.expect_error(403, 50001);

    // TTS without SEND_TTS_MESSAGES is quietly a normal message.
    let m = post(&h, &h.user(2), json!({"content": "speak", "tts": true})).await;
    assert_eq!(m["tts"], false);
    let m = post(&h, &h.owner(), json!({"content": "speak", "tts": true})).await;
    assert_eq!(m["tts"], true);
}

#[tokio::test]
async fn mentions_follow_allowed_mentions_and_permissions() {
    let h = Harness::new().await;
    let gid = h.guild_id();
    let mentionable = Role {
        id: Id::new_checked(501).unwrap(),
        name: "ping".into(),
        position: 1,
        mentionable: true,
        ..Role::everyone(gid, Permissions::empty())
    };
    let quiet = Role { id: Id::new_checked(502).unwrap(), name: "quiet".into(), position: 2, ..mentionable.clone() };
    let quiet = Role { mentionable: false, ..quiet };
    h.core.store().create_role(gid, &mentionable).await.unwrap();
    h.core.store().create_role(gid, &quiet).await.unwrap();
    let (u1, u2) = (h.seed.users[1].id, h.seed.users[2].id);
    let content = format!("<@{u1}> <@!{u2}> <@999999999999> <@&501> <@&502> <@&{gid}> @everyone");

    let m = post(&h, &h.user(0), json!({"content": content})).await;
    let ids: Vec<&str> = m["mentions"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![u1.to_string(), u2.to_string()]);
    assert_eq!(m["mentions"][0]["username"], "user2");
    assert!(m["mentions"][0]["member"]["roles"].is_array());
    assert!(m["mentions"][0]["member"].get("user").is_none());
    // Default @everyone has MENTION_EVERYONE, which also pings roles that are not mentionable.
    assert_eq!(m["mention_roles"], json!(["501", "502"]));
    assert_eq!(m["mention_everyone"], true);

    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::MENTION_EVERYONE).await;
    let m = post(&h, &h.user(0), json!({"content": content})).await;
    assert_eq!((m["mention_roles"].clone(), m["mention_everyone"].clone()), (json!(["501"]), json!(false)));

    let m = post(&h, &h.user(0), json!({"content": content, "allowed_mentions": {"parse": []}})).await;
    assert_eq!((m["mentions"].clone(), m["mention_roles"].clone()), (json!([]), json!([])));
    let m = post(&h, &h.user(0), json!({"content": content, "allowed_mentions": {"users": [u2]}})).await;
    assert_eq!(m["mentions"].as_array().unwrap().len(), 1);
    assert_eq!(m["mentions"][0]["id"], u2.to_string());
}

#[tokio::test]
async fn replies_reference_and_ping_the_replied_author() {
    let mut h = Harness::new().await;
    let original = post(&h, &h.user(1), json!({"content": "question"})).await;
    let reference = json!({"message_id": id_of(&original)});
    h.drain_events();
    let reply = post(&h, &h.user(0), json!({"content": "answer", "message_reference": reference})).await;
    assert_eq!(reply["type"], 19);
    assert_eq!(reply["message_reference"]["message_id"], id_of(&original));
    assert_eq!(reply["message_reference"]["channel_id"], h.general());
    assert_eq!(reply["message_reference"]["guild_id"], h.guild_id().to_string());
    assert_eq!(reply["referenced_message"]["id"], id_of(&original));
    assert_eq!(reply["referenced_message"]["content"], "question");
    assert_eq!(reply["mentions"][0]["id"], h.seed.users[1].id.to_string());
    assert_eq!(h.drain_events()[0].data["referenced_message"]["id"], id_of(&original));

    let quiet = json!({"content": "a", "message_reference": reference, "allowed_mentions": {"replied_user": false}});
    assert_eq!(post(&h, &h.user(0), quiet).await["mentions"], json!([]));

    let missing = json!({"content": "a", "message_reference": {"message_id": "4242424242424242"}});
    let r = h.post(&messages_path(h.general()), &h.user(0), missing).await;
    assert_eq!(r.form_error_at(&["message_reference"]), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE");
    let lenient =
        json!({"content": "a", "message_reference": {"message_id": "4242424242424242", "fail_if_not_exists": false}});
    let m = post(&h, &h.user(0), lenient).await;
    assert_eq!(m["type"], 0);
    assert!(m.get("message_reference").is_none());

    overwrite(&h, channel_id(&h), h.seed.users[2].id, Permissions::empty(), Permissions::READ_MESSAGE_HISTORY).await;
    let r =
        h.post(&messages_path(h.general()), &h.user(2), json!({"content": "a", "message_reference": reference})).await;
    r.expect_error(403, 160002);

    // A reply to a deleted message shows `referenced_message: null`.
    let path = format!("{}/{}", messages_path(h.general()), id_of(&original));
    h.delete(&path, &h.user(1)).await.expect(204);
    let got = h.get(&format!("{}/{}", messages_path(h.general()), id_of(&reply)), &h.user(0)).await;
    assert!(got.body["referenced_message"].is_null());
    assert!(got.body.get("referenced_message").is_some());
}

#[tokio::test]
async fn enforce_nonce_returns_the_earlier_message() {
    let mut h = Harness::new().await;
    h.drain_events();
    let body = json!({"content": "once", "nonce": "n-1", "enforce_nonce": true});
    let first = post(&h, &h.user(0), body.clone()).await;
    let again = post(&h, &h.user(0), body.clone()).await;
    assert_eq!(id_of(&first), id_of(&again));
    assert_eq!(again["nonce"], "n-1");
    assert_eq!(h.event_names(), vec!["MESSAGE_CREATE"]);
    // Another author, or no enforcement, makes a new message.
    assert_ne!(id_of(&post(&h, &h.user(1), body).await), id_of(&first));
    assert_ne!(id_of(&post(&h, &h.user(0), json!({"content": "x", "nonce": "n-1"})).await), id_of(&first));
}

#[tokio::test]
async fn slowmode_limits_members_but_not_bots_or_moderators() {
    let h = Harness::new().await;
    let mut c = h.core.store().channel(channel_id(&h)).await.unwrap().unwrap();
    c.rate_limit_per_user = Some(60);
    h.core.store().update_channel(&c).await.unwrap();
    let path = messages_path(h.general());
    h.post(&path, &h.user(0), json!({"content": "1"})).await.expect(200);
    let slowed = h.post(&path, &h.user(0), json!({"content": "2"})).await;
    slowed.expect_error(429, 20016);
    // Like any 429: when to retry, in the body and headers, and a Via header for discord.py.
    let retry = slowed.body["retry_after"].as_f64().unwrap();
    assert!(retry > 0.0 && retry <= 60.0, "{}", slowed.body);
    assert!(slowed.headers.contains_key("retry-after") && slowed.headers.contains_key("via"));
    h.post(&path, &h.user(1), json!({"content": "1"})).await.expect(200);
    for _ in 0..2 {
        h.post(&path, &h.bot(1), json!({"content": "bot"})).await.expect(200);
    }
    overwrite(&h, channel_id(&h), h.seed.users[2].id, Permissions::MANAGE_MESSAGES, Permissions::empty()).await;
    for _ in 0..2 {
        h.post(&path, &h.user(2), json!({"content": "mod"})).await.expect(200);
    }
}

#[tokio::test]
async fn history_pages_newest_first() {
    let h = Harness::new().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(id_of(&post(&h, &h.user(0), json!({"content": format!("m{n}")})).await));
    }
    let path = messages_path(h.general());
    let list = |r: support::Resp| -> Vec<String> {
        r.expect(200);
        r.body.as_array().unwrap().iter().map(id_of).collect()
    };
    let all = list(h.get(&path, &h.user(1)).await);
    assert_eq!(all, ids.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(list(h.get(&format!("{path}?limit=2"), &h.user(1)).await), vec![ids[4].clone(), ids[3].clone()]);
    assert_eq!(
        list(h.get(&format!("{path}?before={}", ids[2]), &h.user(1)).await),
        vec![ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(
        list(h.get(&format!("{path}?after={}&limit=2", ids[1]), &h.user(1)).await),
        vec![ids[3].clone(), ids[2].clone()]
    );
    // `after=0` (JDA's "from the beginning") pages from the oldest message.
    assert_eq!(list(h.get(&format!("{path}?after=0&limit=2"), &h.user(1)).await), vec![ids[1].clone(), ids[0].clone()]);
    assert_eq!(
        list(h.get(&format!("{path}?around={}&limit=3", ids[2]), &h.user(1)).await),
        vec![ids[3].clone(), ids[2].clone(), ids[1].clone()]
    );

    assert_eq!(h.get(&format!("{path}?limit=0"), &h.user(1)).await.form_error_at(&["limit"]), "NUMBER_TYPE_MIN");
    assert_eq!(h.get(&format!("{path}?limit=101"), &h.user(1)).await.form_error_at(&["limit"]), "NUMBER_TYPE_MAX");
    h.get(&format!("{path}?before={}&after={}", ids[1], ids[2]), &h.user(1)).await.form_error_at(&["after"]);
    h.get(&format!("{path}?before=x"), &h.user(1)).await.form_error_at(&["before"]);
    h.get(&messages_path("4242424242424242"), &h.user(1)).await.expect_error(404, 10003);

    // Without READ_MESSAGE_HISTORY: an empty history, and single messages are refused.
    overwrite(&h, channel_id(&h), h.seed.users[1].id, Permissions::empty(), Permissions::READ_MESSAGE_HISTORY).await;
    assert!(list(h.get(&path, &h.user(1)).await).is_empty());
    h.get(&format!("{path}/{}", ids[0]), &h.user(1)).await.expect_error(403, 50013);
    h.get(&format!("{path}/{}", ids[0]), &h.user(2)).await.expect(200);
    h.get(&format!("{path}/4242424242424242"), &h.user(2)).await.expect_error(404, 10008);
    h.get(&format!("{path}/abc"), &h.user(2)).await.form_error_at(&["message_id"]);
    overwrite(&h, channel_id(&h), h.seed.users[2].id, Permissions::empty(), Permissions::VIEW_CHANNEL).await;
    h.get(&path, &h.user(2)).await.expect_error(403, 50001);
}

#[tokio::test]
async fn edits_by_the_author_and_by_moderators() {
    let mut h = Harness::new().await;
    let m = post(&h, &h.user(0), json!({"content": "first"})).await;
    let path = format!("{}/{}", messages_path(h.general()), id_of(&m));
    h.drain_events();
    let u1 = h.seed.users[1].id;
    let r = h.patch(&path, &h.user(0), json!({"content": format!("now <@{u1}>")})).await;
    r.expect(200);
    assert_eq!(r.body["content"], format!("now <@{u1}>"));
    assert!(r.body["edited_timestamp"].is_string());
    assert_eq!(r.body["mentions"][0]["id"], u1.to_string());
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["MESSAGE_UPDATE"]);
    assert_eq!(events[0].data["content"], format!("now <@{u1}>"));
    assert_eq!(events[0].data["guild_id"], h.guild_id().to_string());
    assert!(events[0].data.get("nonce").is_none());

    assert_eq!(
        h.patch(&path, &h.user(0), json!({"content": "a".repeat(2001)})).await.form_error_at(&["content"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    h.patch(&path, &h.user(0), json!({"content": ""})).await.expect_error(400, 50006);
    // Others: 50005 without MANAGE_MESSAGES, and even with it for content.
    h.patch(&path, &h.user(1), json!({"content": "hijack"})).await.expect_error(403, 50005);
    h.patch(&path, &h.user(1), json!({"flags": 4})).await.expect_error(403, 50005);
    h.patch(&path, &h.owner(), json!({"content": "hijack"})).await.expect_error(403, 50005);
    let r = h.patch(&path, &h.owner(), json!({"flags": 4})).await;
    assert_eq!(r.expect(200).body["flags"], 4);
    assert_eq!(r.body["content"], format!("now <@{u1}>"));
    let r = h.patch(&path, &h.user(0), json!({"flags": 0})).await;
    assert_eq!(r.expect(200).body["flags"], 0);
    h.patch(&format!("{}/4242424242424242", messages_path(h.general())), &h.user(0), json!({"content": "x"}))
        .await
        .expect_error(404, 10008);
}

#[tokio::test]
async fn deletes_own_or_with_manage_messages() {
    let mut h = Harness::new().await;
    let m = post(&h, &h.user(0), json!({"content": "bye"})).await;
    let path = format!("{}/{}", messages_path(h.general()), id_of(&m));
    h.delete(&path, &h.user(1)).await.expect_error(403, 50013);
    h.drain_events();
    h.delete(&path, &h.user(0)).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_DELETE");
    assert_eq!(
        *events[0].data,
        json!({"id": id_of(&m), "channel_id": h.general(), "guild_id": h.guild_id().to_string()})
    );
    h.delete(&path, &h.user(0)).await.expect_error(404, 10008);
    h.get(&path, &h.user(0)).await.expect_error(404, 10008);

    let m = post(&h, &h.user(0), json!({"content": "moderated"})).await;
    h.delete(&format!("{}/{}", messages_path(h.general()), id_of(&m)), &h.owner()).await.expect(204);

    // Some system notices can never be deleted.
    let mut notice = MessageRecord::new(h.core.next_id(), channel_id(&h), Some(h.guild_id()), h.seed.users[0].id, "");
    notice.kind = MessageType::RecipientAdd;
    h.core.store().create_message(&notice).await.unwrap();
    h.delete(&format!("{}/{}", messages_path(h.general()), notice.id), &h.owner()).await.expect_error(400, 50021);
}

#[tokio::test]
async fn bulk_delete_rules_and_event() {
    let mut h = Harness::new().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(id_of(&post(&h, &h.user(0), json!({"content": format!("m{n}")})).await));
    }
    let path = format!("{}/bulk-delete", messages_path(h.general()));
    assert_eq!(h.post(&path, &h.owner(), json!({})).await.form_error_at(&["messages"]), "BASE_TYPE_REQUIRED");
    h.post(&path, &h.owner(), json!({"messages": [ids[0]]})).await.expect_error(400, 50016);
    let many: Vec<String> = (1..=101u64).map(|n| n.to_string()).collect();
    h.post(&path, &h.owner(), json!({"messages": many})).await.expect_error(400, 50016);
    h.post(&path, &h.owner(), json!({"messages": [ids[0], ids[0]]})).await.form_error_at(&["messages"]);
    h.post(&path, &h.user(1), json!({"messages": [ids[0], ids[1]]})).await.expect_error(403, 50013);
    let old_ms = u64::try_from(h.core.now().as_millis()).unwrap() - 15 * 24 * 3600 * 1000;
    let old: Id<MessageMarker> = Id::new_checked(guildhall_model::snowflake::sentinel_for_time(old_ms) + 1).unwrap();
    h.post(&path, &h.owner(), json!({"messages": [ids[0], old]})).await.expect_error(400, 50034);

    h.drain_events();
    let ghost: Id<MessageMarker> = h.core.next_id();
    h.post(&path, &h.owner(), json!({"messages": [ids[0], ids[1], ghost]})).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_DELETE_BULK");
    assert_eq!(events[0].data["ids"], json!([ids[0], ids[1]]));
    assert_eq!(events[0].data["guild_id"], h.guild_id().to_string());
    let left = h.get(&messages_path(h.general()), &h.owner()).await;
    assert_eq!(left.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn typing_fires_typing_start() {
    let mut h = Harness::new().await;
    h.drain_events();
    let path = format!("/api/v10/channels/{}/typing", h.general());
    h.call("POST", &path, Some(&h.user(0)), None).await.expect(204);
    let events = h.drain_events();
    let e = &events[0];
    assert_eq!((e.name, e.intent), ("TYPING_START", Intents::GUILD_MESSAGE_TYPING));
    assert!(e.data["timestamp"].is_u64());
    assert_eq!(e.data["user_id"], h.seed.users[0].id.to_string());
    assert_eq!(e.data["member"]["user"]["id"], h.seed.users[0].id.to_string());
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::SEND_MESSAGES).await;
    h.call("POST", &path, Some(&h.user(0)), None).await.expect_error(403, 50013);
    h.call("POST", "/api/v10/channels/4242424242424242/typing", Some(&h.user(0)), None).await.expect_error(404, 10003);
}

#[tokio::test]
async fn dm_messages_reach_the_recipients() {
    let mut h = Harness::new().await;
    let dm = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": h.seed.users[1].id})).await;
    let dm_id = dm.str("id");
    h.drain_events();
    let r = h.post(&messages_path(&dm_id), &h.user(0), json!({"content": "psst"})).await;
    r.expect(200);
    assert!(r.body.get("member").is_none() && r.body.get("guild_id").is_none());
    let events = h.drain_events();
    assert_eq!((events[0].name, events[0].intent), ("MESSAGE_CREATE", Intents::DIRECT_MESSAGES));
    let Audience::Users(users) = &events[0].audience else { panic!("not a DM audience") };
    assert_eq!(users.len(), 2);
    assert!(users.contains(&h.seed.users[0].id) && users.contains(&h.seed.users[1].id));

    assert_eq!(h.get(&messages_path(&dm_id), &h.user(1)).await.body[0]["content"], "psst");
    h.get(&messages_path(&dm_id), &h.user(2)).await.expect_error(403, 50001);
    h.post(&messages_path(&dm_id), &h.user(2), json!({"content": "x"})).await.expect_error(403, 50001);
    h.call("POST", &format!("/api/v10/channels/{dm_id}/typing"), Some(&h.user(1)), None).await.expect(204);
    assert_eq!(h.drain_events()[0].intent, Intents::DIRECT_MESSAGE_TYPING);
    let bulk = format!("{}/bulk-delete", messages_path(&dm_id));
    h.post(&bulk, &h.user(0), json!({"messages": ["1", "2"]})).await.expect_error(400, 50024);
    // Nobody may delete the other side's DM messages.
    let path = format!("{}/{}", messages_path(&dm_id), r.str("id"));
    h.delete(&path, &h.user(1)).await.expect_error(403, 50013);
    h.delete(&path, &h.user(0)).await.expect(204);
}
