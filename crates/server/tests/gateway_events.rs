//! Who gets which dispatch, end to end: intents, MESSAGE_CONTENT stripping, VIEW_CHANNEL,
//! op 3/4/8, joining by invite and being kicked (protocol.md §1.6, §2).
//!
//! "Nothing arrived" is never a timeout here: each test publishes a barrier (a role, which
//! every session with GUILDS gets after everything published before it) and reads up to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use gateway_support::{Account, VIEW_CHANNEL, World, intents};
use guildhall_testkit::gateway::{Frame, GatewayClient, WAIT, names};
use serde_json::{Value, json};

async fn barrier(world: &World, guild: &str, owner: &Account) -> String {
    let role = world.rest.ok(owner, "POST", &format!("/guilds/{guild}/roles"), Some(json!({"name": "barrier"}))).await;
    role["id"].as_str().unwrap().to_owned()
}

async fn until_role(client: &mut GatewayClient, role: &str) -> Vec<Frame> {
    let mut frames =
        client.collect_until_match(WAIT, |f| f.name() == "GUILD_ROLE_CREATE" && f.d["role"]["id"] == role).await;
    frames.pop();
    frames
}

fn messages(frames: &[Frame]) -> Vec<(String, String)> {
    frames
        .iter()
        .filter(|f| f.name() == "MESSAGE_CREATE")
        .map(|f| (f.d["id"].as_str().unwrap().to_owned(), f.d["content"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn intents_message_content_and_view_channel_decide_who_gets_messages() {
    let world = World::start(3, 1, 2).await;
    let (owner, no_messages, no_content, user) =
        (world.owner().clone(), world.bots[1].clone(), world.bots[2].clone(), world.users[0].clone());
    let mut s_no_messages = world.login(&no_messages, intents::ALL & !intents::GUILD_MESSAGES).await;
    let mut s_no_content = world.login(&no_content, intents::UNPRIVILEGED).await;
    let mut s_user = world.login(&user, intents::UNPRIVILEGED).await;
    let start = barrier(&world, &world.guild, &owner).await;
    for s in [&mut s_no_messages, &mut s_no_content, &mut s_user] {
        until_role(s, &start).await;
    }

    let text = world.text[0].clone();
    let plain = world.post(&owner, &text, "plain words").await;
    let mention_text = format!("hi <@{}>", no_content.id);
    let mention = world.post(&owner, &text, &mention_text).await;
    let own = world.post(&no_content, &text, "my own words").await;
    let by_user = world.post(&user, &text, "a human speaks").await;
    let end = barrier(&world, &world.guild, &owner).await;

    let got = until_role(&mut s_no_messages, &end).await;
    assert_eq!(messages(&got), vec![], "no GUILD_MESSAGES, no MESSAGE_CREATE: {:?}", names(&got));
    let got = until_role(&mut s_no_content, &end).await;
    assert_eq!(
        messages(&got),
        vec![
            (plain.clone(), String::new()),
            (mention.clone(), mention_text.clone()),
            (own.clone(), "my own words".into()),
            (by_user.clone(), String::new()),
        ],
        "a bot without MESSAGE_CONTENT sees content only of its own and mentioning messages"
    );
    // MESSAGE_CONTENT does not restrict user accounts.
    let got = until_role(&mut s_user, &end).await;
    assert_eq!(
        messages(&got),
        vec![
            (plain, "plain words".into()),
            (mention, mention_text),
            (own, "my own words".into()),
            (by_user, "a human speaks".into()),
        ]
    );

    // Hide the second channel from the user: CHANNEL_DELETE for them, CHANNEL_UPDATE for others,
    // and its messages no longer reach them.
    let hidden = world.text[1].clone();
    let overwrite = json!({"type": 1, "allow": "0", "deny": VIEW_CHANNEL.to_string()});
    world.rest.ok(&owner, "PUT", &format!("/channels/{hidden}/permissions/{}", user.id), Some(overwrite)).await;
    let secret = world.post(&owner, &hidden, "secret").await;
    let end = barrier(&world, &world.guild, &owner).await;
    let got = until_role(&mut s_user, &end).await;
    assert_eq!(names(&got), vec!["CHANNEL_DELETE"], "the user loses the channel and nothing of it follows");
    assert_eq!(got[0].d["id"], hidden);
    let got = until_role(&mut s_no_content, &end).await;
    assert_eq!(names(&got), vec!["CHANNEL_UPDATE", "MESSAGE_CREATE"]);
    assert_eq!(got[1].d["id"], secret);

    // Shown again: CHANNEL_CREATE, then its messages.
    world.rest.ok(&owner, "DELETE", &format!("/channels/{hidden}/permissions/{}", user.id), None).await;
    let visible = world.post(&owner, &hidden, "visible again").await;
    let end = barrier(&world, &world.guild, &owner).await;
    let got = until_role(&mut s_user, &end).await;
    assert_eq!(names(&got), vec!["CHANNEL_CREATE", "MESSAGE_CREATE"]);
    assert_eq!(got[1].d["id"], visible);
}

fn presence_of<'a>(frames: &'a [Frame], user: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f.name() == "PRESENCE_UPDATE" && f.d["user"]["id"] == user).map(|f| &f.d).collect()
}

#[tokio::test]
async fn op3_presence_reaches_presence_sessions_and_goes_offline_on_logout() {
    let world = World::start(3, 1, 1).await;
    let (owner, watcher, blind, user) =
        (world.owner().clone(), world.bots[1].clone(), world.bots[2].clone(), world.users[0].clone());
    let mut s_watcher = world.login(&watcher, intents::ALL).await;
    let mut s_blind = world.login(&blind, intents::ALL & !intents::GUILD_PRESENCES).await;
    let mut s_user = world.login(&user, intents::GUILDS).await;
    // A second session of the same user: the user stays online until the last one logs out.
    let mut s_user_2 = world.login(&user, intents::GUILDS).await;
    let presence = json!({"op": 3, "d": {"status": "dnd", "since": null, "afk": false,
        "activities": [{"name": "testing", "type": 0}]}});
    s_user.send_json(&presence).await;

    // The watcher sees the user come online, then go dnd.
    let got = s_watcher.collect_until_match(WAIT, |f| f.name() == "PRESENCE_UPDATE" && f.d["status"] == "dnd").await;
    let updates = presence_of(&got, &user.id);
    assert_eq!(updates.iter().map(|d| d["status"].as_str().unwrap()).collect::<Vec<_>>(), ["online", "dnd"]);
    let last = updates[1];
    assert_eq!(last["guild_id"], world.guild);
    assert_eq!(last["activities"][0]["name"], "testing");

    s_user_2.close(1000).await;
    // The server clears a session's presence in a task of its own after the close, so this
    // barrier orders it only in practice (a REST round trip later): a wrong "offline" shows up
    // here nearly always, never falsely.
    let end = barrier(&world, &world.guild, &owner).await;
    let got = until_role(&mut s_watcher, &end).await;
    let statuses: Vec<_> = presence_of(&got, &user.id).iter().map(|d| d["status"].clone()).collect();
    assert!(!statuses.contains(&json!("offline")), "another session is still online: {statuses:?}");

    s_user.close(1000).await;
    let got =
        s_watcher.collect_until_match(WAIT, |f| f.name() == "PRESENCE_UPDATE" && f.d["user"]["id"] == user.id).await;
    assert_eq!(got.last().unwrap().d["status"], "offline");

    let end = barrier(&world, &world.guild, &owner).await;
    let got = until_role(&mut s_blind, &end).await;
    assert!(presence_of(&got, &user.id).is_empty(), "no GUILD_PRESENCES, no PRESENCE_UPDATE: {:?}", names(&got));
}

#[tokio::test]
async fn op4_join_sends_voice_state_update() {
    let world = World::start(2, 1, 1).await;
    let (owner, watcher, user) = (world.owner().clone(), world.bots[1].clone(), world.users[0].clone());
    let mut s_watcher = world.login(&watcher, intents::GUILDS | intents::GUILD_VOICE_STATES).await;
    let mut s_blind = world.login(&owner, intents::GUILDS).await;
    let mut s_user = world.login(&user, intents::GUILDS | intents::GUILD_VOICE_STATES).await;
    let voice = world.voice[0].clone();
    s_user
        .send_json(&json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": voice, "self_mute": false, "self_deaf": true}}))
        .await;
    for session in [&mut s_watcher, &mut s_user] {
        let got = session.collect_until("VOICE_STATE_UPDATE", WAIT).await;
        let d = &got.last().unwrap().d;
        assert_eq!((d["user_id"].as_str(), d["channel_id"].as_str()), (Some(user.id.as_str()), Some(voice.as_str())));
        assert_eq!(d["guild_id"], world.guild);
        assert_eq!(d["self_deaf"], true);
        assert!(d["session_id"].is_string());
    }
    // Leave.
    s_user.send_json(&json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": null}})).await;
    let got = s_watcher.collect_until("VOICE_STATE_UPDATE", WAIT).await;
    assert!(got.last().unwrap().d["channel_id"].is_null());
    let end = barrier(&world, &world.guild, &owner).await;
    let got = until_role(&mut s_blind, &end).await;
    assert!(!names(&got).contains(&"VOICE_STATE_UPDATE"), "no GUILD_VOICE_STATES: {:?}", names(&got));
}

#[tokio::test]
async fn op8_member_requests_answer_with_chunks() {
    let world = World::start(2, 3, 1).await;
    let bot = world.owner().clone();
    let mut session = world.login(&bot, intents::ALL).await;
    let guild = world.guild.clone();

    session
        .send_json(&json!({"op": 8, "d": {"guild_id": guild, "query": "user", "limit": 10, "nonce": "by-query"}}))
        .await;
    let chunk = session.collect_until("GUILD_MEMBERS_CHUNK", WAIT).await.pop().unwrap().d;
    assert_eq!((chunk["nonce"].as_str(), chunk["guild_id"].as_str()), (Some("by-query"), Some(guild.as_str())));
    assert_eq!((chunk["chunk_index"].as_u64(), chunk["chunk_count"].as_u64()), (Some(0), Some(1)));
    let mut usernames: Vec<_> = chunk["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["username"].as_str().unwrap().to_owned())
        .collect();
    usernames.sort();
    assert_eq!(usernames, ["user1", "user2", "user3"]);

    let ids = json!([world.users[1].id, "42"]);
    session
        .send_json(&json!({"op": 8, "d": {"guild_id": guild, "user_ids": ids, "nonce": "by-id", "presences": true}}))
        .await;
    let chunk = session.collect_until("GUILD_MEMBERS_CHUNK", WAIT).await.pop().unwrap().d;
    assert_eq!(chunk["nonce"], "by-id");
    let members = chunk["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["user"]["id"], world.users[1].id);
    assert_eq!(chunk["not_found"], json!(["42"]));
    assert!(chunk["presences"].is_array(), "presences asked for and allowed: {chunk}");

    session.send_json(&json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0, "nonce": "all"}})).await;
    let chunk = session.collect_until("GUILD_MEMBERS_CHUNK", WAIT).await.pop().unwrap().d;
    assert_eq!(chunk["nonce"], "all");
    assert_eq!(chunk["members"].as_array().unwrap().len(), 5);

    // A second whole list within 30 s is refused with RATE_LIMITED (prefix queries are not).
    session.send_json(&json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0, "nonce": "again"}})).await;
    let limited = session.collect_until("RATE_LIMITED", WAIT).await.pop().unwrap().d;
    assert_eq!(limited["opcode"], 8);
    assert_eq!(
        (limited["meta"]["guild_id"].as_str(), limited["meta"]["nonce"].as_str()),
        (Some(guild.as_str()), Some("again"))
    );
    let wait = limited["retry_after"].as_f64().unwrap();
    assert!(wait > 0.0 && wait <= 30.0, "retry_after {wait}");
    session.send_json(&json!({"op": 8, "d": {"guild_id": guild, "query": "user", "limit": 1, "nonce": "q"}})).await;
    let chunk = session.collect_until("GUILD_MEMBERS_CHUNK", WAIT).await.pop().unwrap().d;
    assert_eq!(chunk["nonce"], "q");
}

#[tokio::test]
async fn joining_by_invite_sends_guild_create_and_a_kick_guild_delete() {
    let world = World::start(1, 1, 1).await;
    let other = world.seed_elsewhere().await;
    let outsider = Account::from_seed(&other.users[0], false);
    let other_owner = Account::from_seed(&other.bots[0], true);
    let other_guild = other.guild.id.to_string();
    let owner = world.owner().clone();
    let mut session = world.login(&outsider, intents::ALL).await;

    let invite = world.rest.ok(&owner, "POST", &format!("/channels/{}/invites", world.text[0]), Some(json!({}))).await;
    let code = invite["code"].as_str().unwrap();
    world.rest.ok(&outsider, "POST", &format!("/invites/{code}"), Some(json!({}))).await;
    let got = session.collect_until("GUILD_CREATE", WAIT).await;
    let create = &got.last().unwrap().d;
    assert_eq!(create["id"], world.guild);
    assert!(create["channels"].is_array() && create["members"].is_array() && create["joined_at"].is_string());
    // The new member's session now gets the guild's events.
    let hello = world.post(&owner, &world.text[0], "welcome").await;
    let got = session.collect_until("MESSAGE_CREATE", WAIT).await;
    assert_eq!(got.last().unwrap().d["id"], hello);

    world.rest.ok(&owner, "DELETE", &format!("/guilds/{}/members/{}", world.guild, outsider.id), None).await;
    let got = session.collect_until("GUILD_DELETE", WAIT).await;
    let delete = &got.last().unwrap().d;
    assert_eq!(delete["id"], world.guild);
    assert!(delete.get("unavailable").is_none_or(|u| u.is_null()), "removed, not an outage: {delete}");

    // Nothing more from that guild; the barrier comes from the guild the outsider is still in.
    world.post(&owner, &world.text[0], "after the kick").await;
    barrier(&world, &world.guild, &owner).await;
    let end = barrier(&world, &other_guild, &other_owner).await;
    let got = until_role(&mut session, &end).await;
    let leaked: Vec<_> = got
        .iter()
        .filter(|f| f.d["guild_id"] == world.guild || f.d["id"] == world.guild)
        .map(|f| f.raw.to_string())
        .collect();
    assert!(leaked.is_empty(), "events of a guild the user was kicked from: {leaked:?}");
}
