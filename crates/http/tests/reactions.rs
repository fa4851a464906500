//! Reactions: add/remove (own, others', all, one emoji), listing users, the permission and
//! count rules, emoji parsing, and the MESSAGE_REACTION_* events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_bus::Audience;
use guildhall_model::Timestamp;
use guildhall_model::channel::{OverwriteType, PermissionOverwrite};
use guildhall_model::flags::{Intents, Permissions};
use serde_json::json;
use support::Harness;

/// Percent-encodes a path segment, as clients send emojis.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Posts a message as user 0 in `general`; returns the reactions base path.
async fn message(h: &Harness, channel: &str) -> String {
    let r =
        h.post(&format!("/api/v10/channels/{channel}/messages"), &h.user(0), json!({"content": "react to me"})).await;
    format!("/api/v10/channels/{channel}/messages/{}", r.expect(200).str("id"))
}

async fn deny(h: &Harness, user: usize, deny: Permissions) {
    let mut c = h.core.store().channel(h.seed.text_channels[0].id).await.unwrap().unwrap();
    let id = h.seed.users[user].id.cast();
    c.permission_overwrites.get_or_insert_with(Vec::new).push(PermissionOverwrite {
        id,
        kind: OverwriteType::Member,
        allow: Permissions::empty(),
        deny,
    });
    h.core.store().update_channel(&c).await.unwrap();
}

#[tokio::test]
async fn adding_reactions_and_how_messages_show_them() {
    let mut h = Harness::new().await;
    let m = message(&h, &h.general()).await;
    h.drain_events();
    h.put(&format!("{m}/reactions/{}/@me", enc("👍")), &h.user(1), None).await.expect(204);
    let events = h.drain_events();
    let e = &events[0];
    assert_eq!((e.name, e.intent), ("MESSAGE_REACTION_ADD", Intents::GUILD_MESSAGE_REACTIONS));
    assert!(matches!(e.audience, Audience::Guild { channel_id: Some(_), .. }));
    let d = &e.data;
    assert_eq!(d["user_id"], h.seed.users[1].id.to_string());
    assert_eq!(d["message_author_id"], h.seed.users[0].id.to_string());
    assert_eq!(d["guild_id"], h.guild_id().to_string());
    assert_eq!(d["emoji"], json!({"id": null, "name": "👍"}));
    assert_eq!(d["member"]["user"]["id"], h.seed.users[1].id.to_string());
    assert_eq!((d["burst"].clone(), d["type"].clone()), (json!(false), json!(0)));
    // Again: nothing new, no event.
    h.put(&format!("{m}/reactions/{}/@me", enc("👍")), &h.user(1), None).await.expect(204);
    assert!(h.event_names().is_empty());
    h.put(&format!("{m}/reactions/{}/@me", enc("LUL:41771983429993937")), &h.user(0), None).await.expect(204);
    assert_eq!(h.drain_events()[0].data["emoji"], json!({"id": "41771983429993937", "name": "LUL", "animated": false}));

    let mine = h.get(&m, &h.user(1)).await;
    let reactions = mine.body["reactions"].as_array().unwrap();
    assert_eq!(reactions.len(), 2);
    assert_eq!(
        reactions[0],
        json!({"count": 1, "count_details": {"burst": 0, "normal": 1}, "me": true, "me_burst": false,
               "emoji": {"id": null, "name": "👍"}, "burst_colors": []})
    );
    assert_eq!(reactions[1]["me"], false);
    let list = h.get(&format!("/api/v10/channels/{}/messages", h.general()), &h.user(0)).await;
    assert_eq!(list.body[0]["reactions"][0]["me"], false);
    assert_eq!(list.body[0]["reactions"][1]["me"], true);

    h.put(&format!("{m}/reactions/abc/@me"), &h.user(1), None).await.expect_error(400, 10014);
    h.put(&format!("{m}/reactions/{}/@me", enc("x:y")), &h.user(1), None).await.expect_error(400, 10014);
    let base = format!("/api/v10/channels/{}/messages", h.general());
    h.put(&format!("{base}/4242424242424242/reactions/{}/@me", enc("👍")), &h.user(1), None)
        .await
        .expect_error(404, 10008);
    h.put(&format!("{base}/nope/reactions/{}/@me", enc("👍")), &h.user(1), None).await.form_error_at(&["message_id"]);
    h.put(&format!("/api/v10/channels/4242424242424242/messages/1/reactions/{}/@me", enc("👍")), &h.user(1), None)
        .await
        .expect_error(404, 10003);
}

#[tokio::test]
async fn reaction_permissions_and_limits() {
    let h = Harness::new().await;
    let m = message(&h, &h.general()).await;
    h.put(&format!("{m}/reactions/{}/@me", enc("🔥")), &h.user(0), None).await.expect(204);
    // Without ADD_REACTIONS one can still join an existing reaction, not start a new one.
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::ADD_REACTIONS).await;
    h.put(&format!("{m}/reactions/{}/@me", enc("🔥")), &h.user(1), None).await.expect(204);
    h.put(&format!("{m}/reactions/{}/@me", enc("🎉")), &h.user(1), None).await.expect_error(403, 50013);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;
    deny(&h, 2, Permissions::READ_MESSAGE_HISTORY).await;
    h.put(&format!("{m}/reactions/{}/@me", enc("🔥")), &h.user(2), None).await.expect_error(403, 50013);

    // Twenty distinct emojis per message.
    for n in 1..20u64 {
        let custom = format!("e{n}:{}", 1000 + n);
        h.put(&format!("{m}/reactions/{custom}/@me"), &h.owner(), None).await.expect(204);
    }
    h.put(&format!("{m}/reactions/{}/@me", enc("🎉")), &h.owner(), None).await.expect_error(400, 30010);
    h.put(&format!("{m}/reactions/e5:1005/@me"), &h.user(0), None).await.expect(204);

    // A timed-out member cannot react, even to an existing reaction.
    let mut member = h.core.store().member(h.guild_id(), h.seed.users[1].id).await.unwrap().unwrap();
    member.communication_disabled_until = Some(Timestamp::from_millis(h.core.now().as_millis() + 3_600_000));
    h.core.store().update_member(&member).await.unwrap();
    h.put(&format!("{m}/reactions/e5:1005/@me"), &h.user(1), None).await.expect_error(403, 50013);
}

#[tokio::test]
async fn listing_who_reacted() {
    let h = Harness::new().await;
    let m = message(&h, &h.general()).await;
    let emoji = enc("👍");
    for n in 0..3 {
        h.put(&format!("{m}/reactions/{emoji}/@me"), &h.user(n), None).await.expect(204);
    }
    let mut ids: Vec<String> = h.seed.users.iter().map(|u| u.id.to_string()).collect();
    ids.sort();
    let r = h.get(&format!("{m}/reactions/{emoji}"), &h.user(0)).await;
    let got: Vec<&str> = r.expect(200).body.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids);
    assert!(r.body[0].get("username").is_some() && r.body[0].get("email").is_none());
    let r = h.get(&format!("{m}/reactions/{emoji}?limit=1&after={}", ids[0]), &h.user(0)).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["id"], ids[1]);
    assert!(h.get(&format!("{m}/reactions/{emoji}?type=1"), &h.user(0)).await.body.as_array().unwrap().is_empty());
    assert_eq!(
        h.get(&format!("{m}/reactions/{emoji}?type=2"), &h.user(0)).await.form_error_at(&["type"]),
        "BASE_TYPE_CHOICES"
    );
    assert_eq!(
        h.get(&format!("{m}/reactions/{emoji}?limit=0"), &h.user(0)).await.form_error_at(&["limit"]),
        "NUMBER_TYPE_MIN"
    );
    h.get(&format!("{m}/reactions/nope"), &h.user(0)).await.expect_error(400, 10014);
    deny(&h, 2, Permissions::READ_MESSAGE_HISTORY).await;
    h.get(&format!("{m}/reactions/{emoji}"), &h.user(2)).await.expect_error(403, 50013);
}

#[tokio::test]
async fn removing_reactions() {
    let mut h = Harness::new().await;
    let m = message(&h, &h.general()).await;
    let (thumbs, fire) = (enc("👍"), enc("🔥"));
    for n in 0..2 {
        h.put(&format!("{m}/reactions/{thumbs}/@me"), &h.user(n), None).await.expect(204);
        h.put(&format!("{m}/reactions/{fire}/@me"), &h.user(n), None).await.expect(204);
    }
    h.drain_events();
    h.delete(&format!("{m}/reactions/{thumbs}/@me"), &h.user(0)).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_REACTION_REMOVE");
    assert_eq!(events[0].data["user_id"], h.seed.users[0].id.to_string());
    assert_eq!(events[0].data["emoji"]["name"], "👍");
    h.delete(&format!("{m}/reactions/{thumbs}/@me"), &h.user(0)).await.expect(204);
    assert!(h.event_names().is_empty());

    // Someone else's reaction needs MANAGE_MESSAGES.
    let user1 = h.seed.users[1].id;
    h.delete(&format!("{m}/reactions/{thumbs}/{user1}"), &h.user(0)).await.expect_error(403, 50013);
    h.delete(&format!("{m}/reactions/{thumbs}/{user1}"), &h.owner()).await.expect(204);
    assert_eq!(h.drain_events()[0].data["user_id"], user1.to_string());
    h.delete(&format!("{m}/reactions/{thumbs}/abc"), &h.owner()).await.form_error_at(&["user_id"]);

    h.delete(&format!("{m}/reactions/{fire}"), &h.user(0)).await.expect_error(403, 50013);
    h.delete(&format!("{m}/reactions/{fire}"), &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_REACTION_REMOVE_EMOJI");
    assert_eq!(events[0].data["emoji"], json!({"id": null, "name": "🔥"}));
    assert!(h.get(&m, &h.user(0)).await.body.get("reactions").is_none());

    h.put(&format!("{m}/reactions/{fire}/@me"), &h.user(0), None).await.expect(204);
    h.delete(&format!("{m}/reactions"), &h.user(0)).await.expect_error(403, 50013);
    h.drain_events();
    h.delete(&format!("{m}/reactions"), &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "MESSAGE_REACTION_REMOVE_ALL");
    assert_eq!(
        *events[0].data,
        json!({"channel_id": h.general(), "message_id": m.rsplit('/').next().unwrap(), "guild_id": h.guild_id().to_string()})
    );
    h.delete("/api/v10/channels/1/messages/2/reactions", &h.owner()).await.expect_error(404, 10003);
}

#[tokio::test]
async fn dm_reactions_use_direct_message_intents() {
    let mut h = Harness::new().await;
    let dm = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": h.seed.users[1].id})).await;
    let m = message(&h, &dm.str("id")).await;
    h.drain_events();
    h.put(&format!("{m}/reactions/{}/@me", enc("👍")), &h.user(1), None).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].intent, Intents::DIRECT_MESSAGE_REACTIONS);
    assert!(matches!(&events[0].audience, Audience::Users(users) if users.len() == 2));
    assert!(events[0].data.get("member").is_none() && events[0].data.get("guild_id").is_none());
    // Nobody moderates a DM.
    h.delete(&format!("{m}/reactions"), &h.user(0)).await.expect_error(403, 50013);
}
