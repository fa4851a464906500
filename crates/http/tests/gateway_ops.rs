//! The core operations behind gateway commands op 3 (presence), op 4 (voice state) and op 8
//! (request guild members), and GUILD_CREATE's members/presences/voice_states, driven through
//! `h.core` with the REST router for setup.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use guildhall_bus::{Audience, Event};
use guildhall_core::ops::guilds::GuildCreateOptions;
use guildhall_core::{Actor, Code, Error};
use guildhall_model::Id;
use guildhall_model::commands::{RequestGuildMembers, UpdateVoiceState};
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_model::presence::{Activity, ActivityType, Status, UpdatePresence};
use serde_json::{Value, json};
use support::Harness;

async fn actor(h: &Harness, auth: &str) -> Actor {
    h.core.authenticate(auth).await.unwrap()
}

fn user0(h: &Harness) -> Id<UserMarker> {
    h.seed.users[0].id
}

fn status(s: Status) -> UpdatePresence {
    UpdatePresence { status: s, ..UpdatePresence::default() }
}

fn playing(name: &str) -> UpdatePresence {
    UpdatePresence {
        activities: vec![Activity { name: name.into(), kind: ActivityType::Playing, ..Activity::default() }],
        ..UpdatePresence::default()
    }
}

/// The events named `name`.
fn named(events: &[Arc<Event>], name: &str) -> Vec<Arc<Event>> {
    events.iter().filter(|e| e.name == name).cloned().collect()
}

#[track_caller]
fn assert_code<T: std::fmt::Debug>(result: Result<T, Error>, code: Code) {
    match result {
        Err(e) => assert!(e.is(code), "expected {code:?}, got {e:?}"),
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
    }
}

fn voice(h: &Harness) -> Id<ChannelMarker> {
    h.seed.voice_channels[0].id
}

fn join(guild_id: Id<GuildMarker>, channel: Option<Id<ChannelMarker>>) -> UpdateVoiceState {
    UpdateVoiceState {
        guild_id,
        channel_id: channel,
        self_mute: false,
        self_deaf: false,
        self_video: false,
        self_stream: false,
    }
}

fn ids(members: &[Value]) -> Vec<String> {
    members.iter().map(|m| m["user"]["id"].as_str().unwrap().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Presence (op 3)

#[tokio::test]
async fn presence_follows_the_latest_session_and_goes_offline_with_the_last() {
    let mut h = Harness::new().await;
    let u = user0(&h);
    h.drain_events();
    assert!(h.core.presence(u).is_none());

    h.core.set_presence(u, false, "a", playing("chess")).await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.name, "PRESENCE_UPDATE");
    assert_eq!(e.intent, Intents::GUILD_PRESENCES);
    assert_eq!(
        e.audience,
        Audience::Guild { guild_id: h.guild_id(), channel_id: None, permission: Permissions::empty() }
    );
    let d = &*e.data;
    assert_eq!(d["user"], json!({"id": u.to_string()}));
    assert_eq!(d["guild_id"], h.guild_id().to_string());
    assert_eq!(d["status"], "online");
    assert_eq!(d["activities"][0]["name"], "chess");
    assert!(d["activities"][0]["created_at"].as_u64().unwrap() > 1_600_000_000_000, "created_at stamped: {d}");
    assert_eq!(d["client_status"], json!({"desktop": "online"}));

    // A second session's update is what others see now.
    h.core.set_presence(u, false, "b", status(Status::Dnd)).await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].data["status"].clone(), events[0].data["activities"].clone()), (json!("dnd"), json!([])));
    // The same presence again changes nothing others see: no event.
    h.core.set_presence(u, false, "b", status(Status::Dnd)).await.unwrap();
    assert!(h.drain_events().is_empty());
    assert_eq!(h.core.presence(u).unwrap().status, Status::Dnd);

    // Ending "b" falls back to "a" (online, playing).
    h.core.end_presence(u, "b").await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["status"], "online");
    assert_eq!(events[0].data["activities"][0]["name"], "chess");

    // The last session ends: offline, no activities.
    h.core.end_presence(u, "a").await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["status"], "offline");
    assert_eq!(events[0].data["activities"], json!([]));
    assert_eq!(events[0].data["client_status"], json!({}));
    assert!(h.core.presence(u).is_none());
    // Ending an unknown session is a no-op.
    h.core.end_presence(u, "a").await.unwrap();
    assert!(h.drain_events().is_empty());
}

#[tokio::test]
async fn invisible_is_offline_to_others() {
    let mut h = Harness::new().await;
    let u = user0(&h);
    h.drain_events();
    // Offline → invisible: nothing others see changes.
    h.core.set_presence(u, false, "a", UpdatePresence { status: Status::Invisible, ..playing("x") }).await.unwrap();
    assert!(h.drain_events().is_empty());
    assert!(h.core.presence(u).is_none());
    h.core.set_presence(u, false, "a", status(Status::Idle)).await.unwrap();
    assert_eq!(h.drain_events()[0].data["status"], "idle");
    h.core.set_presence(u, false, "a", status(Status::Invisible)).await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["status"], "offline");
    assert!(h.core.presence(u).is_none());
}

#[tokio::test]
async fn bots_keep_only_name_state_type_and_url() {
    let mut h = Harness::new().await;
    let bot = h.seed.bots[1].id;
    h.drain_events();
    let update: UpdatePresence = serde_json::from_value(json!({
        "status": "online", "since": null, "afk": false,
        "activities": [{"name": "tunes", "type": 2, "state": "s", "details": "d", "url": "https://x",
                        "assets": {"large_image": "a"}, "created_at": 42}]
    }))
    .unwrap();
    h.core.set_presence(bot, true, "s", update.clone()).await.unwrap();
    let d = h.drain_events()[0].data.clone();
    assert_eq!(
        d["activities"],
        json!([{"name": "tunes", "type": 2, "state": "s", "url": "https://x", "created_at": 42}])
    );
    // A user keeps everything.
    h.core.set_presence(user0(&h), false, "u", update).await.unwrap();
    let d = h.drain_events()[0].data.clone();
    assert_eq!(
        (d["activities"][0]["details"].clone(), d["activities"][0]["assets"]["large_image"].clone()),
        (json!("d"), json!("a"))
    );
}

#[tokio::test]
async fn presence_update_goes_to_each_guild_of_the_user() {
    let mut h = Harness::new().await;
    let second = h.post("/api/v10/guilds", &h.user(0), json!({"name": "Second"})).await;
    let second = second.expect(201).str("id");
    h.drain_events();
    h.core.set_presence(user0(&h), false, "a", status(Status::Online)).await.unwrap();
    let events = h.drain_events();
    let mut guilds: Vec<String> = events.iter().map(|e| e.data["guild_id"].as_str().unwrap().to_owned()).collect();
    guilds.sort();
    let mut expected = vec![h.guild_id().to_string(), second];
    expected.sort();
    assert_eq!(guilds, expected);
    assert!(events.iter().all(|e| e.name == "PRESENCE_UPDATE"));
    for e in &events {
        let Audience::Guild { guild_id, .. } = &e.audience else { panic!("audience {:?}", e.audience) };
        assert_eq!(e.data["guild_id"], guild_id.to_string());
    }
}

#[tokio::test]
async fn approximate_presence_count_counts_online_members() {
    let h = Harness::new().await;
    let path = format!("/api/v10/guilds/{}?with_counts=true", h.guild_id());
    assert_eq!(h.get(&path, &h.owner()).await.expect(200).body["approximate_presence_count"], 0);
    h.core.set_presence(user0(&h), false, "a", status(Status::Idle)).await.unwrap();
    h.core.set_presence(h.seed.users[1].id, false, "b", status(Status::Invisible)).await.unwrap();
    h.core.set_presence(h.seed.bots[0].id, true, "c", status(Status::Online)).await.unwrap();
    let r = h.get(&path, &h.owner()).await;
    assert_eq!(
        (r.body["approximate_presence_count"].as_u64(), r.body["approximate_member_count"].as_u64()),
        (Some(2), Some(5))
    );
    let r = h.get("/api/v10/users/@me/guilds?with_counts=true", &h.owner()).await;
    assert_eq!(r.expect(200).body[0]["approximate_presence_count"], 2);
    let r = h.get("/api/v10/users/@me/guilds", &h.owner()).await;
    assert!(r.body[0].get("approximate_presence_count").is_none());
}

// ---------------------------------------------------------------------------------------------
// Voice states (op 4)

#[tokio::test]
async fn camera_and_screen_flags_keep_the_voice_connection() {
    let mut h = Harness::new().await;
    let a = actor(&h, &h.user(0)).await;
    let gid = h.guild_id();
    h.core.update_voice_state(&a, "s1", join(gid, Some(voice(&h)))).await.unwrap();
    h.drain_events();
    let on = UpdateVoiceState { self_video: true, self_stream: true, ..join(gid, Some(voice(&h))) };
    let state = h.core.update_voice_state(&a, "s1", on).await.unwrap().unwrap();
    assert_eq!((state.self_video, state.self_stream), (true, Some(true)));
    let events = h.drain_events();
    let names: Vec<&str> = events.iter().map(|e| e.name).collect();
    assert_eq!(names, ["VOICE_STATE_UPDATE"], "a flag change needs no new voice server");
    assert_eq!(
        (events[0].data["self_video"].as_bool(), events[0].data["self_stream"].as_bool()),
        (Some(true), Some(true))
    );
}

#[tokio::test]
async fn voice_join_move_replace_and_leave() {
    let mut h = Harness::new().await;
    let a = actor(&h, &h.user(0)).await;
    let gid = h.guild_id();
    h.drain_events();

    let state = h
        .core
        .update_voice_state(&a, "s1", UpdateVoiceState { self_mute: true, ..join(gid, Some(voice(&h))) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((state.channel_id, state.session_id.as_str(), state.self_mute), (Some(voice(&h)), "s1", true));
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.name, e.intent), ("VOICE_STATE_UPDATE", Intents::GUILD_VOICE_STATES));
    assert_eq!(e.audience, Audience::Guild { guild_id: gid, channel_id: None, permission: Permissions::empty() });
    let d = &*e.data;
    assert_eq!(d["guild_id"], gid.to_string());
    assert_eq!(d["channel_id"], voice(&h).to_string());
    assert_eq!(d["user_id"], a.id().to_string());
    assert_eq!(d["member"]["user"]["id"], a.id().to_string());
    assert_eq!(d["session_id"], "s1");
    for (key, value) in [
        ("deaf", false),
        ("mute", false),
        ("self_deaf", false),
        ("self_mute", true),
        ("self_video", false),
        ("self_stream", false),
        ("suppress", false),
    ] {
        assert_eq!(d[key], value, "{key}");
    }
    assert_eq!(d["request_to_speak_timestamp"], Value::Null);
    assert_eq!(h.core.voice_states(gid).len(), 1);

    // Move to a second voice channel.
    let v2 = h.post(&format!("/api/v10/guilds/{gid}/channels"), &h.owner(), json!({"name": "v2", "type": 2})).await;
    let v2: Id<ChannelMarker> = v2.expect(201).str("id").parse().unwrap();
    h.drain_events();
    h.core.update_voice_state(&a, "s1", join(gid, Some(v2))).await.unwrap();
    let events = named(&h.drain_events(), "VOICE_STATE_UPDATE");
    assert_eq!(events[0].data["channel_id"], v2.to_string());
    assert_eq!(h.core.voice_states(gid)[0].channel_id, Some(v2));

    // A join from another session replaces the state.
    h.core.update_voice_state(&a, "s2", join(gid, Some(voice(&h)))).await.unwrap();
    h.drain_events();
    let states = h.core.voice_states(gid);
    assert_eq!(states.len(), 1);
    assert_eq!((states[0].session_id.as_str(), states[0].channel_id), ("s2", Some(voice(&h))));
    assert_eq!(states[0].guild_id, Some(gid));
    assert!(states[0].member.is_none());

    // The old session ending does not disconnect the new one.
    h.core.end_voice_session(a.id(), "s1").await.unwrap();
    assert!(h.drain_events().is_empty());
    assert_eq!(h.core.voice_states(gid).len(), 1);

    // Leave with op 4 channel_id null.
    let left = h.core.update_voice_state(&a, "s2", join(gid, None)).await.unwrap();
    assert!(left.is_none());
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["channel_id"], Value::Null);
    assert_eq!(events[0].data["session_id"], "s2");
    assert_eq!(events[0].data["member"]["user"]["id"], a.id().to_string());
    assert!(matches!(events[0].audience, Audience::Guild { .. }));
    assert!(h.core.voice_states(gid).is_empty());

    // Leaving while not connected tells only the actor.
    h.core.update_voice_state(&a, "s2", join(gid, None)).await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].audience, Audience::Users(vec![a.id()]));
}

#[tokio::test]
async fn voice_session_end_leaves_and_member_record_sets_deaf_mute() {
    let mut h = Harness::new().await;
    let a = actor(&h, &h.user(0)).await;
    let gid = h.guild_id();
    // PATCH .../members {mute} still answers 40032 (not wired to voice yet): set the record directly.
    let mut record = h.core.store().member(gid, a.id()).await.unwrap().unwrap();
    record.mute = true;
    h.core.store().update_member(&record).await.unwrap();
    h.drain_events();
    let state = h.core.update_voice_state(&a, "s1", join(gid, Some(voice(&h)))).await.unwrap().unwrap();
    assert!(state.mute && !state.deaf);
    h.drain_events();
    h.core.end_voice_session(a.id(), "s1").await.unwrap();
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["VOICE_STATE_UPDATE"]);
    assert_eq!(events[0].data["channel_id"], Value::Null);
    assert_eq!(events[0].data["session_id"], "s1");
    assert_eq!(events[0].data["member"]["user"]["id"], a.id().to_string());
    assert!(h.core.voice_states(gid).is_empty());
}

#[tokio::test]
async fn voice_errors() {
    let mut h = Harness::new().await;
    let a = actor(&h, &h.user(0)).await;
    let gid = h.guild_id();
    let general: Id<ChannelMarker> = h.general().parse().unwrap();

    // Not a member / unknown guild.
    let other = h.post("/api/v10/guilds", &h.owner(), json!({"name": "Other"})).await;
    let other: Id<GuildMarker> = other.expect(201).str("id").parse().unwrap();
    assert_code(h.core.update_voice_state(&a, "s", join(other, Some(voice(&h)))).await, Code::UnknownGuild);
    assert_code(h.core.update_voice_state(&a, "s", join(other, None)).await, Code::UnknownGuild);
    // A channel of another guild, or none at all.
    let owner = actor(&h, &h.owner()).await;
    let other_voice = h.get(&format!("/api/v10/guilds/{other}/channels"), &h.owner()).await;
    let other_voice: Id<ChannelMarker> = other_voice.body.as_array().unwrap().iter().find(|c| c["type"] == 2).unwrap()
        ["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_code(h.core.update_voice_state(&owner, "s", join(gid, Some(other_voice))).await, Code::UnknownChannel);
    assert_code(
        h.core.update_voice_state(&a, "s", join(gid, Some(Id::new_checked(12345).unwrap()))).await,
        Code::UnknownChannel,
    );
    // A text channel.
    assert_code(h.core.update_voice_state(&a, "s", join(gid, Some(general))).await, Code::WrongChannelType);

    // No CONNECT: 50013; no VIEW_CHANNEL: 50001.
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::CONNECT).await;
    assert_code(h.core.update_voice_state(&a, "s", join(gid, Some(voice(&h)))).await, Code::MissingPermissions);
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::VIEW_CHANNEL).await;
    assert_code(h.core.update_voice_state(&a, "s", join(gid, Some(voice(&h)))).await, Code::MissingAccess);
    h.set_everyone(Permissions::DEFAULT_EVERYONE).await;

    // user_limit: full for members without MOVE_MEMBERS; the owner still gets in.
    h.patch(&format!("/api/v10/channels/{}", voice(&h)), &h.owner(), json!({"user_limit": 1})).await.expect(200);
    h.core.update_voice_state(&a, "s", join(gid, Some(voice(&h)))).await.unwrap();
    // Already inside: changing flags is not blocked by the limit.
    h.core
        .update_voice_state(&a, "s", UpdateVoiceState { self_deaf: true, ..join(gid, Some(voice(&h))) })
        .await
        .unwrap();
    let b = actor(&h, &h.user(1)).await;
    h.drain_events();
    assert_code(h.core.update_voice_state(&b, "t", join(gid, Some(voice(&h)))).await, Code::MissingPermissions);
    assert!(h.drain_events().is_empty(), "a refused join fires nothing");
    h.core.update_voice_state(&owner, "o", join(gid, Some(voice(&h)))).await.unwrap();
    assert_eq!(h.core.voice_states(gid).len(), 2);
}

#[tokio::test]
async fn kick_ban_leave_and_channel_delete_disconnect_voice() {
    let mut h = Harness::new().await;
    let gid = h.guild_id();
    let members = format!("/api/v10/guilds/{gid}/members");
    for n in 0..3 {
        let a = actor(&h, &h.user(n)).await;
        h.core.update_voice_state(&a, &format!("s{n}"), join(gid, Some(voice(&h)))).await.unwrap();
    }
    assert_eq!(h.core.voice_states(gid).len(), 3);
    h.drain_events();

    // Kick: the leave comes first, then the member removal.
    h.delete(&format!("{members}/{}", h.seed.users[0].id), &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events[0].name, "VOICE_STATE_UPDATE");
    assert_eq!(events[0].data["channel_id"], Value::Null);
    assert_eq!(events[0].data["user_id"], h.seed.users[0].id.to_string());
    assert!(events.iter().any(|e| e.name == "GUILD_MEMBER_REMOVE"));

    // Ban.
    h.put(&format!("/api/v10/guilds/{gid}/bans/{}", h.seed.users[1].id), &h.owner(), Some(json!({}))).await.expect(204);
    let leaves = named(&h.drain_events(), "VOICE_STATE_UPDATE");
    assert_eq!(leaves.len(), 1);
    assert_eq!(leaves[0].data["user_id"], h.seed.users[1].id.to_string());

    // Leave.
    h.delete(&format!("/api/v10/users/@me/guilds/{gid}"), &h.user(2)).await.expect(204);
    let leaves = named(&h.drain_events(), "VOICE_STATE_UPDATE");
    assert_eq!(leaves.len(), 1);
    assert!(h.core.voice_states(gid).is_empty());

    // Deleting the voice channel disconnects whoever is in it.
    let bot = actor(&h, &h.bot(1)).await;
    h.core.update_voice_state(&bot, "b", join(gid, Some(voice(&h)))).await.unwrap();
    h.drain_events();
    h.delete(&format!("/api/v10/channels/{}", voice(&h)), &h.owner()).await.expect(200);
    let leaves = named(&h.drain_events(), "VOICE_STATE_UPDATE");
    assert_eq!(leaves.len(), 1);
    assert_eq!(
        (leaves[0].data["user_id"].clone(), leaves[0].data["channel_id"].clone()),
        (json!(bot.id().to_string()), Value::Null)
    );
    assert!(h.core.voice_states(gid).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Request guild members (op 8)

fn request(h: &Harness, body: Value) -> RequestGuildMembers {
    let mut body = body;
    body["guild_id"] = json!(h.guild_id().to_string());
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn request_members_by_prefix() {
    let h = Harness::new().await;
    let a = actor(&h, &h.owner()).await;
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "USER", "limit": 0}))).await.unwrap();
    let got: Vec<String> = r.members.iter().map(|m| m.user.as_ref().unwrap().username.clone()).collect();
    assert_eq!(got, ["user1", "user2", "user3"]);
    assert!(r.not_found.is_empty() && r.presences.is_empty());
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "user", "limit": 2}))).await.unwrap();
    assert_eq!(r.members.len(), 2);
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "zzz", "limit": 10}))).await.unwrap();
    assert!(r.members.is_empty());

    // Nicknames and global names match too.
    let gid = h.guild_id();
    h.patch(&format!("/api/v10/guilds/{gid}/members/{}", h.seed.users[2].id), &h.owner(), json!({"nick": "Zed"}))
        .await
        .expect(200);
    h.patch("/api/v10/users/@me", &h.user(1), json!({"global_name": "Zora"})).await.expect(200);
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "z", "limit": 5}))).await.unwrap();
    let got: Vec<_> = r.members.iter().map(|m| m.user.as_ref().unwrap().id).collect();
    assert_eq!(got, [h.seed.users[1].id, h.seed.users[2].id]);

    // "" with limit 0: everyone; "" with a limit: that many.
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "", "limit": 0}))).await.unwrap();
    assert_eq!(r.members.len(), 5);
    let r = h.core.request_guild_members(&a, &request(&h, json!({"query": "", "limit": 3}))).await.unwrap();
    assert_eq!(r.members.len(), 3);
    let v = serde_json::to_value(&r.members[0]).unwrap();
    assert!(v["user"]["id"].is_string() && v["joined_at"].is_string() && v["roles"].is_array());
}

#[tokio::test]
async fn request_members_by_user_ids_with_not_found_and_presences() {
    let h = Harness::new().await;
    let a = actor(&h, &h.bot(1)).await;
    let u0 = h.seed.users[0].id;
    let u1 = h.seed.users[1].id;
    h.core.set_presence(u1, false, "x", status(Status::Dnd)).await.unwrap();
    let req = request(
        &h,
        json!({"user_ids": [u1.get(), u0.to_string(), "123", "abc", 5, u0.to_string()], "presences": true, "limit": 0, "nonce": "n1"}),
    );
    let r = h.core.request_guild_members(&a, &req).await.unwrap();
    assert_eq!(r.members.iter().map(|m| m.user.as_ref().unwrap().id).collect::<Vec<_>>(), [u0, u1]);
    assert_eq!(r.not_found, vec![json!("123"), json!("abc"), json!(5)]);
    assert_eq!(r.presences.len(), 1);
    assert_eq!((r.presences[0].user.id, r.presences[0].status, r.presences[0].guild_id), (u1, Status::Dnd, None));

    let chunks = r.clone().into_chunks(&req);
    assert_eq!(chunks.len(), 1);
    let c = serde_json::to_value(&chunks[0]).unwrap();
    assert_eq!((c["chunk_index"].as_u64(), c["chunk_count"].as_u64()), (Some(0), Some(1)));
    assert_eq!(c["not_found"], json!(["123", "abc", 5]));
    assert_eq!(c["nonce"], "n1");
    assert_eq!(c["presences"][0]["user"]["id"], u1.to_string());
    assert_eq!(ids(c["members"].as_array().unwrap()), [u0.to_string(), u1.to_string()]);

    // Presences only when asked; one id rather than an array.
    let req = request(&h, json!({"user_ids": u1.to_string()}));
    let r = h.core.request_guild_members(&a, &req).await.unwrap();
    assert_eq!((r.members.len(), r.presences.len()), (1, 0));
    let c = serde_json::to_value(&r.into_chunks(&req)[0]).unwrap();
    assert!(c.get("presences").is_none() && c.get("nonce").is_none());
    assert_eq!(c["not_found"], json!([]));

    // A query answer carries no not_found.
    let req = request(&h, json!({"query": "", "limit": 0}));
    let c = serde_json::to_value(&h.core.request_guild_members(&a, &req).await.unwrap().into_chunks(&req)[0]).unwrap();
    assert!(c.get("not_found").is_none());
    assert_eq!(c["members"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn request_members_errors() {
    let h = Harness::new().await;
    let a = actor(&h, &h.user(0)).await;
    let other = h.post("/api/v10/guilds", &h.owner(), json!({"name": "Other"})).await;
    let other = other.expect(201).str("id");
    let req: RequestGuildMembers = serde_json::from_value(json!({"guild_id": other, "query": "", "limit": 0})).unwrap();
    assert_code(h.core.request_guild_members(&a, &req).await, Code::UnknownGuild);
    let many: Vec<String> = (1..=101).map(|n| n.to_string()).collect();
    let err = h.core.request_guild_members(&a, &request(&h, json!({"user_ids": many}))).await.unwrap_err();
    assert!(err.is(Code::InvalidFormBody), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// GUILD_CREATE

#[tokio::test]
async fn guild_create_members_presences_and_voice_states_by_option() {
    let h = Harness::new().await;
    let gid = h.guild_id();
    let owner = h.seed.bots[0].id;
    let (u0, u1, u2) = (h.seed.users[0].id, h.seed.users[1].id, h.seed.users[2].id);
    h.core.set_presence(u0, false, "a", status(Status::Idle)).await.unwrap();
    h.core.set_presence(u2, false, "c", status(Status::Invisible)).await.unwrap();
    let a1 = actor(&h, &h.user(1)).await;
    h.core.update_voice_state(&a1, "v", join(gid, Some(voice(&h)))).await.unwrap();

    let payload = |options| {
        let core = h.core.clone();
        async move { serde_json::to_value(core.guild_create_payload(gid, owner, options).await.unwrap()).unwrap() }
    };

    // Default (presences, small guild): everyone.
    let d = payload(GuildCreateOptions::default()).await;
    assert_eq!(d["large"], false);
    assert_eq!(d["members"].as_array().unwrap().len(), 5);
    assert_eq!(d["presences"].as_array().unwrap().len(), 1, "{}", d["presences"]);
    assert_eq!(d["presences"][0]["user"]["id"], u0.to_string());
    assert_eq!(d["presences"][0]["status"], "idle");
    assert!(d["presences"][0].get("guild_id").is_none());
    let vs = d["voice_states"].as_array().unwrap();
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0]["user_id"], u1.to_string());
    assert_eq!(vs[0]["channel_id"], voice(&h).to_string());
    assert!(vs[0].get("guild_id").is_none() && vs[0].get("member").is_none());
    assert_eq!(vs[0]["session_id"], "v");

    // Presences, large guild: the receiver, online members and members in voice.
    let d = payload(GuildCreateOptions { large_threshold: 2, presences: true }).await;
    assert_eq!(d["large"], true);
    assert_eq!(ids(d["members"].as_array().unwrap()), [owner.to_string(), u0.to_string(), u1.to_string()]);
    assert_eq!(d["presences"].as_array().unwrap().len(), 1);

    // Without the presences intent: the receiver and members in voice, no presences.
    for threshold in [2, 250] {
        let d = payload(GuildCreateOptions { large_threshold: threshold, presences: false }).await;
        assert_eq!(ids(d["members"].as_array().unwrap()), [owner.to_string(), u1.to_string()]);
        assert_eq!(d["presences"], json!([]));
        assert_eq!(d["voice_states"].as_array().unwrap().len(), 1);
        assert_eq!(d["member_count"], 5);
    }

    // The receiving member is listed even when offline and not in voice.
    let d = serde_json::to_value(
        h.core.guild_create_payload(gid, u2, GuildCreateOptions { large_threshold: 2, presences: true }).await.unwrap(),
    )
    .unwrap();
    assert_eq!(ids(d["members"].as_array().unwrap()), [u0.to_string(), u1.to_string(), u2.to_string()]);
}
