//! REST voice moderation end to end (`PATCH /guilds/{guild_id}/members/{user_id}` with `mute`,
//! `deaf`, `channel_id`): the permission and target checks, the events each change fires, and
//! that the stored mute reaches the SFU — also after the member leaves and joins again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use gateway_support::voice::VOICE_INTENTS;
use gateway_support::{Account, World, intents};
use guildhall_testkit::gateway::{GatewayClient, WAIT, names};
use guildhall_testkit::voice::{self, VoiceClient, VoiceJoin};
use guildhall_voice_proto::crypto::Mode;
use serde_json::{Value, json};

const MUTE_MEMBERS: u64 = 1 << 22;
const DEAFEN_MEMBERS: u64 = 1 << 23;
const MOVE_MEMBERS: u64 = 1 << 24;
const CONNECT: u64 = 1 << 20;

fn member_path(world: &World, user: &Account) -> String {
    format!("/guilds/{}/members/{}", world.guild, user.id)
}

async fn expect_error(world: &World, who: &Account, path: &str, body: Value, status: u16, code: u64) {
    let (got, value) = world.rest.call(who, "PATCH", path, Some(body.clone())).await;
    assert_eq!((got, value["code"].as_u64()), (status, Some(code)), "PATCH {path} {body} → {value}");
}

/// A new voice channel named `name` (owner), with `overwrites`; its id.
async fn voice_channel(world: &World, name: &str, overwrites: Value) -> String {
    let path = format!("/guilds/{}/channels", world.guild);
    let body = json!({"name": name, "type": 2, "permission_overwrites": overwrites});
    let channel = world.rest.ok(world.owner(), "POST", &path, Some(body)).await;
    channel["id"].as_str().unwrap().to_owned()
}

/// Gives `who` a new role with `permissions`.
async fn grant(world: &World, who: &Account, permissions: u64) {
    let path = format!("/guilds/{}/roles", world.guild);
    let body = json!({"name": "moderators", "permissions": permissions.to_string()});
    let role = world.rest.ok(world.owner(), "POST", &path, Some(body)).await;
    let path = format!("/guilds/{}/members/{}/roles/{}", world.guild, who.id, role["id"].as_str().unwrap());
    world.rest.ok(world.owner(), "PUT", &path, None).await;
}

/// `user`'s next VOICE_STATE_UPDATE `d`.
async fn state_of(client: &mut GatewayClient, user: &str) -> Value {
    let frames = client.collect_until_match(WAIT, |f| f.name() == "VOICE_STATE_UPDATE" && f.d["user_id"] == user).await;
    frames.last().unwrap().d.clone()
}

#[tokio::test]
async fn mute_deaf_and_move_need_their_permissions() {
    let world = World::start(3, 1, 1).await;
    let (bob, carol) = (&world.bots[1], &world.bots[2]);
    let _carol = world.enter(carol, &world.voice[0], 8, Mode::Aes256GcmRtpsize).await;
    let other = voice_channel(&world, "Other", json!([])).await;
    let path = member_path(&world, carol);
    // A bot and a user account without MUTE_MEMBERS / DEAFEN_MEMBERS / MOVE_MEMBERS (@everyone's
    // defaults hold none of them).
    for actor in [bob, &world.users[0]] {
        expect_error(&world, actor, &path, json!({"mute": true}), 403, 50013).await;
        expect_error(&world, actor, &path, json!({"deaf": true}), 403, 50013).await;
        expect_error(&world, actor, &path, json!({"channel_id": other}), 403, 50013).await;
    }
    // Each permission alone is enough for its own field only.
    grant(&world, bob, MUTE_MEMBERS).await;
    expect_error(&world, bob, &path, json!({"deaf": true}), 403, 50013).await;
    let member = world.rest.ok(bob, "PATCH", &path, Some(json!({"mute": true}))).await;
    assert_eq!((member["mute"].clone(), member["deaf"].clone()), (json!(true), json!(false)));
    grant(&world, bob, DEAFEN_MEMBERS).await;
    let member = world.rest.ok(bob, "PATCH", &path, Some(json!({"deaf": true}))).await;
    assert_eq!(member["deaf"], true);
}

#[tokio::test]
async fn moderating_a_member_not_in_voice_is_40032_and_stores_nothing() {
    let world = World::start(2, 0, 1).await;
    let alice = &world.bots[1];
    let path = member_path(&world, alice);
    let owner = world.owner();
    expect_error(&world, owner, &path, json!({"mute": true}), 400, 40032).await;
    expect_error(&world, owner, &path, json!({"deaf": true}), 400, 40032).await;
    expect_error(&world, owner, &path, json!({"mute": true, "deaf": true}), 400, 40032).await;
    expect_error(&world, owner, &path, json!({"channel_id": world.voice[0]}), 400, 40032).await;
    let member = world.rest.ok(owner, "GET", &path, None).await;
    assert_eq!((member["mute"].clone(), member["deaf"].clone()), (json!(false), json!(false)));
    // Joining afterwards: not muted.
    let mut gateway = world.login(alice, VOICE_INTENTS).await;
    gateway
        .send_json(&json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": world.voice[0],
            "self_mute": false, "self_deaf": false}}))
        .await;
    let state = state_of(&mut gateway, &alice.id).await;
    assert_eq!((state["mute"].clone(), state["deaf"].clone()), (json!(false), json!(false)));
}

#[tokio::test]
async fn a_move_needs_a_voice_channel_of_the_guild_where_the_moderator_may_connect() {
    let world = World::start(3, 0, 1).await;
    let (bob, carol) = (&world.bots[1], &world.bots[2]);
    let mut carol_in = world.enter(carol, &world.voice[0], 8, Mode::Aes256GcmRtpsize).await;
    let path = member_path(&world, carol);
    let owner = world.owner();
    expect_error(&world, owner, &path, json!({"channel_id": world.text[0]}), 400, 50024).await;
    expect_error(&world, owner, &path, json!({"channel_id": "123456789012345678"}), 404, 10003).await;

    // Bob may move members, but not connect to "Locked".
    grant(&world, bob, MOVE_MEMBERS).await;
    let deny = json!([{"id": bob.id, "type": 1, "allow": "0", "deny": CONNECT.to_string()}]);
    let locked = voice_channel(&world, "Locked", deny).await;
    let open = voice_channel(&world, "Open", json!([])).await;
    expect_error(&world, bob, &path, json!({"channel_id": locked}), 403, 50013).await;
    let name = "after-refusals";
    world.rest.ok(owner, "POST", &format!("/guilds/{}/roles", world.guild), Some(json!({"name": name}))).await;
    let frames = carol_in
        .gateway
        .collect_until_match(WAIT, |f| f.name() == "GUILD_ROLE_CREATE" && f.d["role"]["name"] == name)
        .await;
    assert!(
        frames.iter().all(|f| !f.name().starts_with("VOICE_")),
        "refused moves change nothing: {:?}",
        names(&frames)
    );

    world.rest.ok(bob, "PATCH", &path, Some(json!({"channel_id": open}))).await;
    assert_eq!(state_of(&mut carol_in.gateway, &carol.id).await["channel_id"], open.as_str());
}

#[tokio::test]
async fn each_change_fires_its_events_and_a_move_hands_out_a_new_token() {
    let world = World::start(2, 0, 1).await;
    let alice = &world.bots[1];
    let mut watcher = world.login(world.owner(), VOICE_INTENTS | intents::GUILD_MEMBERS).await;
    let mut a = world.enter(alice, &world.voice[0], 8, Mode::Aes256GcmRtpsize).await;
    assert_eq!(state_of(&mut watcher, &alice.id).await["mute"], false, "the join");
    let path = member_path(&world, alice);

    for (field, expected) in [("mute", (true, false)), ("deaf", (true, true))] {
        let member = world.rest.ok(world.owner(), "PATCH", &path, Some(json!({field: true}))).await;
        assert_eq!(member[field], true);
        let frames = watcher
            .collect_until_match(WAIT, |f| f.name() == "VOICE_STATE_UPDATE" && f.d["user_id"] == alice.id.as_str())
            .await;
        let update = frames
            .iter()
            .find(|f| f.name() == "GUILD_MEMBER_UPDATE" && f.d["user"]["id"] == alice.id.as_str())
            .unwrap_or_else(|| panic!("GUILD_MEMBER_UPDATE before the state: {:?}", names(&frames)));
        assert_eq!(update.d[field], true);
        assert_eq!(update.d["guild_id"], world.guild.as_str());
        let state = &frames.last().unwrap().d;
        assert_eq!((state["mute"].as_bool(), state["deaf"].as_bool()), (Some(expected.0), Some(expected.1)));
        assert_eq!(state["channel_id"], world.voice[0].as_str());
        // The member's own session hears it too, without a new server update.
        let own = a.gateway.collect_until("VOICE_STATE_UPDATE", WAIT).await;
        assert!(own.iter().all(|f| f.name() != "VOICE_SERVER_UPDATE"), "{:?}", names(&own));
        assert_eq!(own.last().unwrap().d[field], true);
    }

    // A move: the state with the new channel (flags kept), and the moved session gets a new
    // VOICE_SERVER_UPDATE whose token identifies.
    let other = voice_channel(&world, "Other", json!([])).await;
    world.rest.ok(world.owner(), "PATCH", &path, Some(json!({"channel_id": other}))).await;
    let state = state_of(&mut watcher, &alice.id).await;
    assert_eq!(
        (state["channel_id"].clone(), state["mute"].clone(), state["deaf"].clone()),
        (json!(other), json!(true), json!(true))
    );
    let moved = voice::await_server_update(&mut a.gateway, &world.guild, &alice.id).await;
    assert_ne!(moved.token, a.join.token);
    assert_eq!(moved.session_id, a.join.session_id);
    let _moved = VoiceClient::connect(world.server.ca_path(), &moved, 8, Mode::Aes256GcmRtpsize).await;
    assert_eq!(a.voice.expect_close(WAIT).await, Some(4006), "the re-identified session replaced the old one");

    // channel_id null disconnects.
    world.rest.ok(world.owner(), "PATCH", &path, Some(json!({"channel_id": null}))).await;
    assert_eq!(state_of(&mut watcher, &alice.id).await["channel_id"], Value::Null);
}

#[tokio::test]
async fn a_stored_mute_outlives_leaving_and_joining_again() {
    let world = World::start(4, 0, 1).await;
    let channel = world.voice[0].clone();
    let alice = &world.bots[1];
    let mut a = world.enter(alice, &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(&world.bots[2], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut carol = world.enter(&world.bots[3], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let path = member_path(&world, alice);
    world.rest.ok(world.owner(), "PATCH", &path, Some(json!({"mute": true}))).await;
    assert_eq!(state_of(&mut a.gateway, &alice.id).await["mute"], true);

    // Leave (op 4 channel_id null), then join again.
    a.gateway
        .send_json(&json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": null, "self_mute": false, "self_deaf": false}}))
        .await;
    assert_eq!(state_of(&mut a.gateway, &alice.id).await["channel_id"], Value::Null);
    assert_eq!(a.voice.expect_close(WAIT).await, Some(4014));
    a.gateway
        .send_json(&json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": channel, "self_mute": false, "self_deaf": false}}))
        .await;
    let frames = a.gateway.collect_until("VOICE_SERVER_UPDATE", WAIT).await;
    let state = &frames.iter().find(|f| f.name() == "VOICE_STATE_UPDATE").expect("the state first").d;
    assert_eq!((state["channel_id"].clone(), state["mute"].clone()), (json!(channel), json!(true)));
    let server = &frames.last().unwrap().d;
    let join = VoiceJoin {
        session_id: state["session_id"].as_str().unwrap().to_owned(),
        token: server["token"].as_str().unwrap().to_owned(),
        ..a.join.clone()
    };
    let mut again = VoiceClient::connect(world.server.ca_path(), &join, 8, Mode::Aes256GcmRtpsize).await;

    // Alice's packet goes first, carol's after: the first thing bob gets is carol's.
    again.send_audio(&[1]).await;
    carol.voice.send_audio(&[2]).await;
    let (header, payload) = bob.voice.recv_audio(WAIT).await.expect("carol's packet");
    assert_eq!((header.ssrc, payload), (carol.voice.ssrc, vec![2]), "a server-muted member is not forwarded");

    // Unmuted: heard again.
    world.rest.ok(world.owner(), "PATCH", &path, Some(json!({"mute": false}))).await;
    again.send_audio(&[3]).await;
    let (header, payload) = bob.voice.recv_audio(WAIT).await.expect("alice's packet");
    assert_eq!((header.ssrc, payload), (again.ssrc, vec![3]));
}
