//! The gateway end to end over real WebSockets: HELLO, READY and GUILD_CREATE shapes, tokens,
//! paths, every close code the server produces, binary frames, heartbeats, transport
//! compression, RESUME, client closes, the disconnect test hook and op 7 on shutdown
//! (protocol.md §1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use gateway_support::{World, intents};
use guildhall_testkit::gateway::{Compression, Ended, GatewayClient, WAIT, names};
use serde_json::json;

#[tokio::test]
async fn hello_ready_and_guild_create_have_discords_shapes() {
    let world = World::start(2, 1, 2).await;
    let bot = world.owner();
    let mut client = GatewayClient::connect(&world.server.gateway_url(), Compression::None).await;
    assert_eq!(client.hello().await, 41_250, "HELLO heartbeat_interval is Discord's integer");
    // Bare token, as discord.py and discord.js send it.
    let ready = client.identify(&bot.token, intents::ALL).await;
    assert_eq!(ready["v"], 10);
    assert_eq!(ready["user"]["id"], bot.id);
    assert_eq!(ready["user"]["discriminator"], "0");
    assert_eq!(ready["user"]["bot"], true);
    assert!(ready["user"].get("avatar").is_some(), "user.avatar key present: {}", ready["user"]);
    assert!(ready["user"].get("mfa_enabled").is_some(), "twilight needs mfa_enabled: {}", ready["user"]);
    assert_eq!(ready["guilds"], json!([{"id": world.guild, "unavailable": true}]));
    assert!(!ready["session_id"].as_str().unwrap().is_empty());
    assert_eq!(ready["resume_gateway_url"], world.server.gateway_url());
    let app_id = world.seed.bots[0].application_id.unwrap().to_string();
    assert_eq!(ready["application"]["id"], app_id);
    assert!(ready["application"]["flags"].is_u64(), "application.flags: {}", ready["application"]);
    assert!(ready.get("shard").is_none_or(|s| s.is_null()), "no shard unless sent: {ready}");

    let create = client.next_dispatch(WAIT).await;
    assert_eq!((create.name(), create.s), ("GUILD_CREATE", Some(2)));
    let d = &create.d;
    assert_eq!(d["id"], world.guild);
    for key in [
        "roles",
        "channels",
        "members",
        "voice_states",
        "presences",
        "threads",
        "stage_instances",
        "guild_scheduled_events",
        "emojis",
        "stickers",
    ] {
        assert!(d[key].is_array(), "GUILD_CREATE.{key} is an array: {d}");
    }
    assert_eq!(d["large"], false);
    assert_eq!(d["member_count"], 3);
    assert!(d["joined_at"].is_string(), "joined_at: {}", d["joined_at"]);
    assert_eq!(d["channels"].as_array().unwrap().len(), 3, "2 text + 1 voice");
    assert!(
        d["channels"].as_array().unwrap().iter().all(|c| c.get("guild_id").is_none_or(|g| g == &json!(world.guild)))
    );
    assert!(d["roles"].as_array().unwrap().iter().any(|r| r["id"] == world.guild), "@everyone in roles");
    let members = d["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "small guild: every member");
    assert!(members.iter().all(|m| m["user"]["id"].is_string()), "members carry user");
}

#[tokio::test]
async fn bot_prefixed_token_slash_path_and_shard_echo() {
    let world = World::start(1, 1, 1).await;
    let url = format!("{}/?v=10&encoding=json", world.server.gateway_url());
    let mut client = GatewayClient::connect_url(&url, Compression::None).await;
    client.hello().await;
    let ready = client
        .identify_with(json!({
            "token": format!("Bot {}", world.owner().token),
            "intents": intents::GUILDS,
            "properties": {"os": "linux", "browser": "twilight", "device": "twilight"},
            "shard": [0, 1],
        }))
        .await;
    assert_eq!(ready["shard"], json!([0, 1]));
    assert_eq!(client.next_dispatch(WAIT).await.name(), "GUILD_CREATE");

    // A user account logs in with its bare token too.
    let user = &world.users[0];
    let mut client = world.connect().await;
    let ready = client.identify(&user.token, intents::ALL).await;
    assert_eq!(ready["user"]["id"], user.id);
    assert!(ready["user"].get("bot").is_none_or(|b| b == false), "a user is no bot: {}", ready["user"]);
}

#[tokio::test]
async fn gateway_bot_reports_the_gateway_url() {
    let world = World::start(1, 0, 1).await;
    let body = world.rest.ok(world.owner(), "GET", "/gateway/bot", None).await;
    assert_eq!(body["url"], world.server.gateway_url());
    assert!(body["session_start_limit"]["max_concurrency"].is_u64());
}

/// Connects, reads HELLO, sends `frames` and returns the close code.
async fn close_code_after(world: &World, frames: &[serde_json::Value]) -> Option<u16> {
    let mut client = world.connect().await;
    for frame in frames {
        client.send_json(frame).await;
    }
    client.expect_close(WAIT).await
}

fn identify(token: &str, intents: u64) -> serde_json::Value {
    json!({"op": 2, "d": {"token": token, "intents": intents, "properties": {"os": "l", "browser": "b", "device": "d"}}})
}

#[tokio::test]
async fn protocol_errors_close_with_their_codes() {
    let world = World::start(2, 1, 1).await;
    let token = world.owner().token.clone();

    assert_eq!(close_code_after(&world, &[json!({"op": 99, "d": null})]).await, Some(4001), "unknown op");
    assert_eq!(close_code_after(&world, &[json!({"op": 4, "d": 7})]).await, Some(4001), "bad body for op");

    let mut client = world.connect().await;
    client.send_text("{not json").await;
    assert_eq!(client.expect_close(WAIT).await, Some(4002), "bad JSON");

    let mut client = world.connect().await;
    let mut big = r#"{"op":1,"d":null,"pad":""#.to_owned();
    big.push_str(&"x".repeat(4100));
    big.push_str(r#""}"#);
    client.send_text(&big).await;
    assert_eq!(client.expect_close(WAIT).await, Some(4002), ">4096 bytes");

    let presence = json!({"op": 3, "d": {"status": "online", "since": null, "activities": [], "afk": false}});
    assert_eq!(close_code_after(&world, &[presence]).await, Some(4003), "command before IDENTIFY");

    assert_eq!(close_code_after(&world, &[identify("nope", 1)]).await, Some(4004), "bad token");
    let forged = format!("{}x", token);
    assert_eq!(close_code_after(&world, &[identify(&forged, 1)]).await, Some(4004), "bad token signature");

    let mut client = world.connect().await;
    client.identify(&token, intents::GUILDS).await;
    client.send_json(&identify(&token, intents::GUILDS)).await;
    assert_eq!(client.expect_close(WAIT).await, Some(4005), "second IDENTIFY");

    let mut shard = identify(&token, 1);
    shard["d"]["shard"] = json!([1, 1]);
    assert_eq!(close_code_after(&world, &[shard]).await, Some(4010), "shard id ≥ count");
    let mut shard = identify(&token, 1);
    shard["d"]["shard"] = json!([0, 0]);
    assert_eq!(close_code_after(&world, &[shard]).await, Some(4010), "zero shards");

    assert_eq!(close_code_after(&world, &[identify(&token, 1 << 18)]).await, Some(4013), "unknown intent bit");
    assert_eq!(close_code_after(&world, &[identify(&token, 1 << 40)]).await, Some(4013), "bit beyond u32");

    for v in ["3", "11", "x"] {
        let url = format!("{}?v={v}&encoding=json", world.server.gateway_url());
        let mut client = GatewayClient::connect_url(&url, Compression::None).await;
        assert_eq!(client.expect_close(WAIT).await, Some(4012), "v={v}");
    }
}

#[tokio::test]
async fn privileged_intents_need_the_application_flags() {
    let world = World::start(2, 0, 1).await;
    let store = world.server.services().store.clone();
    let bot = &world.seed.bots[1];
    let mut app = store.application(bot.application_id.unwrap()).await.unwrap().unwrap();
    app.flags = guildhall_model::flags::ApplicationFlags::empty();
    store.update_application(&app).await.unwrap();
    let token = &bot.token;
    for privileged in [intents::GUILD_MEMBERS, intents::GUILD_PRESENCES, intents::MESSAGE_CONTENT] {
        let code = close_code_after(&world, &[identify(token, intents::GUILDS | privileged)]).await;
        assert_eq!(code, Some(4014), "privileged bit {privileged}");
    }
    // Unprivileged intents are fine.
    let mut client = world.connect().await;
    let ready = client.identify(token, intents::UNPRIVILEGED).await;
    assert_eq!(ready["application"]["flags"], 0);
    // A "limited" grant counts (bits 13, 15, 19).
    app.flags = guildhall_model::flags::ApplicationFlags::from_bits_retain(1 << 15);
    store.update_application(&app).await.unwrap();
    let mut client = world.connect().await;
    client.identify(token, intents::GUILDS | intents::GUILD_MEMBERS).await;
}

#[tokio::test]
async fn binary_json_frames_and_heartbeat_acks() {
    let world = World::start(1, 0, 1).await;
    let mut client = world.connect().await;
    // Heartbeats are answered before IDENTIFY too.
    client.heartbeat().await;
    let ack = client.next_frame(WAIT).await;
    assert_eq!(ack.raw, json!({"op": 11, "d": null, "s": null, "t": null}));
    let payload = identify(&world.owner().token, intents::GUILDS).to_string();
    client.send_binary(payload.into_bytes()).await;
    let ready = client.next_dispatch(WAIT).await;
    assert_eq!(ready.name(), "READY");
    client.next_dispatch(WAIT).await;
    client.send_binary(br#"{"op":1,"d":2}"#.to_vec()).await;
    assert_eq!(client.next_frame(WAIT).await.op, 11);
    client.heartbeat().await;
    assert_eq!(client.next_frame(WAIT).await.op, 11);
}

#[tokio::test]
async fn the_121st_command_within_a_minute_is_4008() {
    let world = World::start(1, 0, 1).await;
    let mut client = world.connect().await;
    for _ in 0..121 {
        client.heartbeat().await;
    }
    let mut acks = 0;
    let code = loop {
        match client.try_next_frame(WAIT).await {
            Ok(frame) => {
                assert_eq!(frame.op, 11);
                acks += 1;
            }
            Err(Ended::Closed(code)) => break code,
            Err(Ended::Timeout) => panic!("no close after 121 commands"),
        }
    };
    assert_eq!((acks, code), (120, Some(4008)));
}

async fn compressed_session(compression: Compression) {
    let world = World::start(1, 1, 1).await;
    let bot = world.owner().clone();
    let mut client = GatewayClient::connect(&world.server.gateway_url(), compression).await;
    let (ready, creates) = client.login(&bot.token, intents::ALL).await;
    assert_eq!(ready["user"]["id"], bot.id);
    assert_eq!(creates.len(), 1);
    assert!(creates[0].binary, "compressed frames are binary");
    // Many messages through the same context, one of them large.
    for n in 0..20 {
        let content = if n == 7 { "z".repeat(1900) } else { format!("message {n}") };
        world
            .rest
            .ok(&bot, "POST", &format!("/channels/{}/messages", world.text[0]), Some(json!({"content": content})))
            .await;
    }
    let mut seen = Vec::new();
    while seen.len() < 20 {
        let frame = client.next_dispatch(WAIT).await;
        if frame.name() == "MESSAGE_CREATE" {
            assert!(frame.binary);
            seen.push(frame.d["content"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen[7].len(), 1900);
    assert_eq!(seen[19], "message 19");
    client.heartbeat().await;
    assert_eq!(client.next_frame(WAIT).await.op, 11);
}

#[tokio::test]
async fn zlib_stream_end_to_end() {
    compressed_session(Compression::Zlib).await;
}

#[tokio::test]
async fn zstd_stream_end_to_end() {
    compressed_session(Compression::Zstd).await;
}

/// Publishes a role (GUILD_ROLE_CREATE reaches every session with GUILDS, after everything
/// published before it) and returns its id: a barrier for "the fan-out is past this point".
async fn barrier(world: &World, name: &str) -> String {
    let role = world
        .rest
        .ok(world.owner(), "POST", &format!("/guilds/{}/roles", world.guild), Some(json!({"name": name})))
        .await;
    role["id"].as_str().unwrap().to_owned()
}

async fn wait_for_role(client: &mut GatewayClient, role: &str) -> Vec<guildhall_testkit::gateway::Frame> {
    client.collect_until_match(WAIT, |f| f.name() == "GUILD_ROLE_CREATE" && f.d["role"]["id"] == role).await
}

#[tokio::test]
async fn resume_after_a_drop_replays_missed_dispatches_in_order() {
    let world = World::start(2, 1, 1).await;
    let (owner, bot) = (world.owner().clone(), world.bots[1].clone());
    let mut client = world.login(&bot, intents::GUILDS | intents::GUILD_MESSAGES).await;
    let mut observer = world.login(&world.users[0], intents::ALL).await;
    let session = client.session_id.clone().unwrap();
    let seen = client.last_seq.unwrap();

    let hook = world.rest.hook("/_guildhall/test/disconnect", json!({"user_id": bot.id})).await;
    assert_eq!(hook, json!({"closed": 1}));
    assert_eq!(client.expect_close(WAIT).await, Some(4000));

    let mut sent = Vec::new();
    for n in 0..3 {
        let path = format!("/channels/{}/messages", world.text[0]);
        let message = world.rest.ok(&owner, "POST", &path, Some(json!({"content": format!("missed {n}")}))).await;
        sent.push(message["id"].as_str().unwrap().to_owned());
    }
    let role = barrier(&world, "after").await;
    wait_for_role(&mut observer, &role).await;

    let mut resumed = GatewayClient::connect(&client.resume_url.clone().unwrap(), Compression::None).await;
    resumed.hello().await;
    resumed.resume(&bot.token, &session, seen).await;
    let frames = resumed.collect_until("RESUMED", WAIT).await;
    let got: Vec<_> = frames.iter().map(|f| (f.name().to_owned(), f.s.unwrap())).collect();
    let mut expected: Vec<_> = (0..3).map(|n| ("MESSAGE_CREATE".to_owned(), seen + 1 + n)).collect();
    expected.push(("GUILD_ROLE_CREATE".to_owned(), seen + 4));
    expected.push(("RESUMED".to_owned(), seen + 5));
    assert_eq!(got, expected);
    let ids: Vec<_> = frames[..3].iter().map(|f| f.d["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, sent);
    // Live again: the next event follows with the next seq.
    let role = barrier(&world, "live").await;
    let frames = wait_for_role(&mut resumed, &role).await;
    assert_eq!(frames.last().unwrap().s, Some(seen + 6));
}

#[tokio::test]
async fn resume_failures() {
    let world = World::start(2, 0, 1).await;
    let bot = world.bots[1].clone();
    // Unknown session: op 9 false, and the connection may IDENTIFY next.
    let mut client = world.connect().await;
    client.resume(&bot.token, "no-such-session", 1).await;
    let frame = client.next_frame(WAIT).await;
    assert_eq!(frame.raw, json!({"op": 9, "d": false, "s": null, "t": null}));
    client.identify(&bot.token, intents::GUILDS).await;
    let session = client.session_id.clone().unwrap();
    let seq = client.next_dispatch(WAIT).await.s.unwrap();
    client.close(4000).await;

    // Another account's token does not resume it.
    let mut other = world.connect().await;
    other.resume(&world.owner().token, &session, seq).await;
    assert_eq!(other.next_frame(WAIT).await.raw["op"], 9);

    // A seq the session never sent: 4007.
    let mut ahead = world.connect().await;
    ahead.resume(&bot.token, &session, seq + 100).await;
    assert_eq!(ahead.expect_close(WAIT).await, Some(4007));
}

#[tokio::test]
async fn a_client_close_with_1000_ends_the_session_other_closes_keep_it() {
    let world = World::start(2, 0, 1).await;
    let bot = world.bots[1].clone();
    for (how, resumable) in [("1000", false), ("1001", false), ("4000", true), ("4200", true), ("drop", true)] {
        let mut client = world.login(&bot, intents::GUILDS).await;
        let session = client.session_id.clone().unwrap();
        let seq = client.last_seq.unwrap();
        match how {
            "drop" => drop(client),
            code => client.close(code.parse().unwrap()).await,
        }
        let mut next = world.connect().await;
        next.resume(&bot.token, &session, seq).await;
        let frame = next.next_frame(WAIT).await;
        if resumable {
            assert_eq!((frame.name(), frame.s), ("RESUMED", Some(seq + 1)), "close {how}: {}", frame.raw);
        } else {
            assert_eq!(frame.raw, json!({"op": 9, "d": false, "s": null, "t": null}), "close {how}");
        }
        if how == "drop" {
            // The drop is noticed by the server only when its socket errors; RESUME must not
            // have raced it: the resumed connection is the live one.
            let role = barrier(&world, "after-drop").await;
            wait_for_role(&mut next, &role).await;
        }
    }
}

#[tokio::test]
async fn shutdown_sends_op_7_reconnect() {
    let world = World::start(1, 0, 1).await;
    let mut client = world.login(world.owner(), intents::GUILDS).await;
    let World { server, .. } = world;
    let stopping = tokio::spawn(server.stop());
    let frame = client.next_frame(WAIT).await;
    assert_eq!(frame.raw, json!({"op": 7, "d": null, "s": null, "t": null}));
    let code = client.expect_close(WAIT).await;
    assert!(matches!(code, None | Some(4000)), "closed resumably after op 7: {code:?}");
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn test_hook_counts_and_keeps_other_users_connected() {
    let world = World::start(2, 1, 1).await;
    let user = world.users[0].clone();
    let mut a = world.login(&user, intents::GUILDS).await;
    let mut b = world.login(&user, intents::GUILDS).await;
    let mut other = world.login(&world.bots[1], intents::GUILDS).await;
    let hook = world.rest.hook("/_guildhall/test/disconnect", json!({"user_id": user.id})).await;
    assert_eq!(hook, json!({"closed": 2}));
    assert_eq!(a.expect_close(WAIT).await, Some(4000));
    assert_eq!(b.expect_close(WAIT).await, Some(4000));
    let role = barrier(&world, "still-here").await;
    let frames = wait_for_role(&mut other, &role).await;
    assert!(frames.iter().all(|f| f.name() != "RESUMED"), "{:?}", names(&frames));
    let nobody = world.rest.hook("/_guildhall/test/disconnect", json!({"user_id": "1"})).await;
    assert_eq!(nobody, json!({"closed": 0}));
}

#[tokio::test]
async fn test_hooks_are_off_by_default() {
    let server = guildhall_testkit::TestServer::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/_guildhall/test/disconnect", server.base_url()))
        .json(&json!({"user_id": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_session_not_resumed_within_the_window_ends_and_goes_offline() {
    let world = World::start_with(2, 0, 1, |c| c.gateway.resume_window_secs = Some(1)).await;
    let bot = world.bots[1].clone();
    let mut watcher = world.login(world.owner(), intents::GUILDS | intents::GUILD_PRESENCES).await;
    let mut client = world.login(&bot, intents::GUILDS).await;
    let session = client.session_id.clone().unwrap();
    let seq = client.last_seq.unwrap();
    // Resumable close: the session waits one window (1 s), then ends; its presence goes offline.
    client.close(4000).await;
    let got = watcher
        .collect_until_match(WAIT, |f| {
            f.name() == "PRESENCE_UPDATE" && f.d["user"]["id"] == bot.id && f.d["status"] == "offline"
        })
        .await;
    assert!(!got.is_empty());
    let mut late = world.connect().await;
    late.resume(&bot.token, &session, seq).await;
    assert_eq!(late.next_frame(WAIT).await.raw, json!({"op": 9, "d": false, "s": null, "t": null}));
}

#[tokio::test]
async fn resume_while_the_old_connection_is_open_takes_the_session_over() {
    let world = World::start(2, 0, 1).await;
    let bot = world.bots[1].clone();
    let mut old = world.login(&bot, intents::GUILDS).await;
    let session = old.session_id.clone().unwrap();
    let seq = old.last_seq.unwrap();
    for round in 0..5 {
        let mut new = world.connect().await;
        new.resume(&bot.token, &session, seq).await;
        let resumed = new.collect_until("RESUMED", WAIT).await;
        assert!(!resumed.is_empty());
        // The old connection is closed (resumably); the new one gets every later event at once.
        assert_eq!(old.expect_close(WAIT).await, Some(4000), "round {round}");
        let role = barrier(&world, &format!("takeover-{round}")).await;
        wait_for_role(&mut new, &role).await;
        old = new;
    }
}
