//! Voice signalling and media end to end against the real server: gateway op 4 (the order of
//! VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE, who gets which, tokens), the end of a gateway
//! session, the voice WebSocket (paths, versions, HELLO, `seq`, heartbeat ACKs, refused
//! IDENTIFY, op 5/11/13, RESUME) and the SFU (cross-mode re-encryption, RTP prefixes, what is
//! never forwarded).
//!
//! "Not forwarded" is shown by order, not by waiting: the server's UDP thread handles datagrams
//! in arrival order, and on loopback a datagram is queued at the receiver when `send_to`
//! returns, so once a later packet arrived, an earlier one would have arrived first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::collections::BTreeSet;
use std::time::Duration;

use gateway_support::World;
use gateway_support::voice::{InVoice, VOICE_INTENTS};
use guildhall_testkit::gateway::{Frame, GatewayClient, WAIT, names};
use guildhall_testkit::voice::{self, VoiceClient, VoiceJoin, VoiceSocket, WsEvent};
use guildhall_voice_proto::crypto::Mode;
use guildhall_voice_proto::{discovery, rtp};
use serde_json::{Value, json};

fn op4(world: &World, channel: Option<&str>, self_mute: bool, self_deaf: bool) -> Value {
    json!({"op": 4, "d": {"guild_id": world.guild, "channel_id": channel, "self_mute": self_mute, "self_deaf": self_deaf}})
}

/// Creates a role named `name` (every session with GUILDS sees GUILD_ROLE_CREATE after what
/// was published before it) and returns the name.
async fn barrier(world: &World, name: &str) -> String {
    let path = format!("/guilds/{}/roles", world.guild);
    world.rest.ok(world.owner(), "POST", &path, Some(json!({"name": name}))).await;
    name.to_owned()
}

/// The dispatches up to `user`'s next VOICE_STATE_UPDATE; returns that one's `d`.
async fn state_of(client: &mut GatewayClient, user: &str) -> Value {
    let frames = client.collect_until_match(WAIT, |f| f.name() == "VOICE_STATE_UPDATE" && f.d["user_id"] == user).await;
    frames.last().unwrap().d.clone()
}

/// The dispatches before the barrier role `name`.
async fn until_barrier(client: &mut GatewayClient, name: &str) -> Vec<Frame> {
    let mut frames =
        client.collect_until_match(WAIT, |f| f.name() == "GUILD_ROLE_CREATE" && f.d["role"]["name"] == name).await;
    frames.pop();
    frames
}

fn endpoint(world: &World) -> String {
    format!("127.0.0.1:{}/voice", world.server.tls_addr().port())
}

/// The close code (or first text frame) a voice WebSocket at `url` starts with.
async fn first_event(world: &World, url: &str) -> WsEvent {
    VoiceSocket::connect(world.server.ca_path(), url).await.next_event(WAIT).await
}

/// IDENTIFY with `join` on a fresh `?v=8` WebSocket; the close code it ends with.
async fn identify_close(world: &World, join: &VoiceJoin) -> Option<u16> {
    let mut socket = VoiceSocket::connect(world.server.ca_path(), &format!("wss://{}?v=8", join.endpoint)).await;
    socket.identify(join).await;
    socket.expect_close(WAIT).await
}

#[tokio::test]
async fn op4_sends_the_state_to_the_guild_then_the_server_update_to_that_session_only() {
    let world = World::start(3, 0, 1).await;
    let (alice, watcher) = (&world.bots[1], &world.bots[2]);
    let channel = &world.voice[0];
    let mut a = world.login(alice, VOICE_INTENTS).await;
    let mut w = world.login(watcher, VOICE_INTENTS).await;
    // The other bot also has a second session: neither gets the server update.
    let mut w2 = world.login(watcher, VOICE_INTENTS).await;

    a.send_json(&op4(&world, Some(channel), false, false)).await;
    let frames = a.collect_until("VOICE_SERVER_UPDATE", WAIT).await;
    let state = frames.iter().position(|f| f.name() == "VOICE_STATE_UPDATE").expect("VOICE_STATE_UPDATE");
    assert_eq!(state, frames.len() - 2, "the state comes right before the server update: {:?}", names(&frames));
    let d = &frames[state].d;
    assert_eq!(d["user_id"], alice.id.as_str());
    assert_eq!(d["guild_id"], world.guild.as_str());
    assert_eq!(d["channel_id"], channel.as_str());
    assert_eq!(d["session_id"].as_str(), a.session_id.as_deref());
    assert_eq!(d["member"]["user"]["id"], alice.id.as_str());
    assert!(d["member"]["joined_at"].is_string(), "member.joined_at: {d}");
    assert_eq!(
        (d["mute"].clone(), d["deaf"].clone(), d["self_mute"].clone()),
        (json!(false), json!(false), json!(false))
    );
    let server = &frames[frames.len() - 1].d;
    assert_eq!(server["guild_id"], world.guild.as_str());
    assert_eq!(server["endpoint"], endpoint(&world));
    let token = server["token"].as_str().expect("token");
    assert!(token.len() >= 16, "a real token: {token}");

    let name = barrier(&world, "after-join").await;
    for other in [&mut w, &mut w2] {
        let seen = until_barrier(other, &name).await;
        let states: Vec<_> = seen.iter().filter(|f| f.name() == "VOICE_STATE_UPDATE").collect();
        assert_eq!(states.len(), 1, "{:?}", names(&seen));
        assert_eq!(states[0].d["user_id"], alice.id.as_str());
        assert_eq!(states[0].d["channel_id"], channel.as_str());
        assert!(seen.iter().all(|f| f.name() != "VOICE_SERVER_UPDATE"), "{:?}", names(&seen));
    }
}

#[tokio::test]
async fn a_self_mute_change_keeps_the_token_a_repeated_op4_replaces_it() {
    let world = World::start(2, 0, 1).await;
    let alice = &world.bots[1];
    let channel = &world.voice[0];
    let mut a = world.login(alice, VOICE_INTENTS).await;
    let first = voice::join(&mut a, &world.guild, channel, &alice.id).await;
    let mut connected = VoiceClient::connect(world.server.ca_path(), &first, 8, Mode::Aes256GcmRtpsize).await;

    // Same channel, only self_mute changes: the state, and no new server update.
    a.send_json(&op4(&world, Some(channel), true, false)).await;
    let name = barrier(&world, "after-self-mute").await;
    let seen = until_barrier(&mut a, &name).await;
    let states: Vec<_> = seen.iter().filter(|f| f.name() == "VOICE_STATE_UPDATE").collect();
    assert_eq!(states.len(), 1, "{:?}", names(&seen));
    assert_eq!(states[0].d["self_mute"], true);
    assert!(seen.iter().all(|f| f.name() != "VOICE_SERVER_UPDATE"), "{:?}", names(&seen));

    // The identical op 4 again (discord.js rejoins this way): a new token.
    a.send_json(&op4(&world, Some(channel), true, false)).await;
    let second = voice::await_server_update(&mut a, &world.guild, &alice.id).await;
    assert_ne!(second.token, first.token);
    assert_eq!(second.session_id, first.session_id);
    // The old token no longer identifies; the new one does (and replaces the old connection).
    assert_eq!(identify_close(&world, &first).await, Some(4004));
    let _again = VoiceClient::connect(world.server.ca_path(), &second, 8, Mode::Aes256GcmRtpsize).await;
    assert_eq!(connected.expect_close(WAIT).await, Some(4006), "the replaced voice session is closed");
}

#[tokio::test]
async fn leaving_closes_the_voice_websocket_and_guild_create_lists_who_is_connected() {
    let world = World::start(3, 0, 1).await;
    let (alice, watcher) = (&world.bots[1], &world.bots[2]);
    let channel = &world.voice[0];
    let mut alice = world.enter(alice, channel, 8, Mode::Aes256GcmRtpsize).await;

    // A session identifying later finds the member in GUILD_CREATE's voice_states.
    let mut w =
        GatewayClient::connect(&world.server.gateway_url(), guildhall_testkit::gateway::Compression::None).await;
    let (_, creates) = w.login(&watcher.token, VOICE_INTENTS).await;
    let states = creates[0].d["voice_states"].as_array().expect("voice_states");
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0]["user_id"], world.bots[1].id.as_str());
    assert_eq!(states[0]["channel_id"], channel.as_str());
    assert_eq!(states[0]["session_id"].as_str(), alice.gateway.session_id.as_deref());

    // op 4 with channel_id null: the state goes (to the member and the guild) and the voice
    // WebSocket is closed with 4014 (do not reconnect).
    let id = world.bots[1].id.as_str();
    alice.gateway.send_json(&op4(&world, None, false, false)).await;
    assert_eq!(state_of(&mut alice.gateway, id).await["channel_id"], Value::Null);
    assert_eq!(state_of(&mut w, id).await["channel_id"], Value::Null);
    assert_eq!(alice.voice.expect_close(WAIT).await, Some(4014));
    // And nobody is listed any more.
    let mut late =
        GatewayClient::connect(&world.server.gateway_url(), guildhall_testkit::gateway::Compression::None).await;
    let (_, creates) = late.login(&world.owner().token, VOICE_INTENTS).await;
    assert_eq!(creates[0].d["voice_states"], json!([]));
}

#[tokio::test]
async fn a_gateway_session_that_ends_leaves_voice() {
    let world = World::start_with(3, 0, 1, |c| c.gateway.resume_window_secs = Some(1)).await;
    let channel = world.voice[0].clone();
    let mut alice = world.enter(&world.bots[1], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(&world.bots[2], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let _ = alice.voice.next_message(WAIT).await.expect("op 11 for bob");

    // A resumable close: the session waits its window (1 s), then ends, and its voice state
    // with it.
    alice.gateway.close(4000).await;
    assert_eq!(state_of(&mut bob.gateway, &world.bots[1].id).await["channel_id"], Value::Null);
    assert_eq!(alice.voice.expect_close(WAIT).await, Some(4014));
    let gone = bob.voice.next_message(WAIT).await.expect("op 13");
    assert_eq!(gone["op"], 13);
    assert_eq!(gone["d"]["user_id"], world.bots[1].id.as_str());
}

#[tokio::test]
async fn voice_websocket_paths_versions_and_hello() {
    let world = World::start(1, 0, 1).await;
    let base = format!("wss://{}", endpoint(&world));
    for (suffix, v) in [("?v=8", 8), ("/?v=8", 8), ("?v=4", 4), ("/?v=4", 4)] {
        let url = format!("{base}{suffix}");
        let WsEvent::Text(text) = first_event(&world, &url).await else { panic!("{url}: no HELLO") };
        let hello: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(hello, json!({"op": 8, "d": {"heartbeat_interval": 13750, "v": v}}), "{url}");
        assert!(text.starts_with(r#"{"op":8,"d":"#), "op before d: {text}");
    }
    for suffix in ["", "/", "?v=3", "/?v=3", "?v=x"] {
        let url = format!("{base}{suffix}");
        assert_eq!(first_event(&world, &url).await, WsEvent::Closed(Some(4020)), "{url}");
    }
}

/// The next heartbeat ACK's text, skipping other messages.
async fn next_ack(client: &mut VoiceClient) -> String {
    loop {
        let text = client.next_text(WAIT).await.expect("heartbeat ACK");
        if text.starts_with(r#"{"op":6,"#) {
            return text;
        }
    }
}

#[tokio::test]
async fn v8_sequences_messages_v4_does_not_and_heartbeat_acks_follow_the_version() {
    let world = World::start(3, 0, 1).await;
    let channel = world.voice[0].clone();
    let mut alice = world.enter(&world.bots[1], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(&world.bots[2], &channel, 4, Mode::Aes256GcmRtpsize).await;

    let seqs: Vec<_> = alice.voice.messages.iter().map(|m| (m["op"].clone(), m["seq"].clone())).collect();
    assert_eq!(seqs, vec![(json!(8), Value::Null), (json!(2), json!(1)), (json!(4), json!(2))]);
    let connect = alice.voice.next_message(WAIT).await.expect("op 11 for bob");
    assert_eq!(connect, json!({"op": 11, "d": {"user_ids": [world.bots[2].id]}, "seq": 3}));
    assert!(bob.voice.messages.iter().all(|m| m.get("seq").is_none()), "{:?}", bob.voice.messages);
    assert!(bob.voice.messages.iter().any(|m| m["op"] == 11), "bob hears of alice: {:?}", bob.voice.messages);

    // v4: the bare nonce echoed as it was written (discord.js-sized and u64-sized numbers).
    for nonce in ["1712345678901", "9007199254740991"] {
        bob.voice.send_json(&serde_json::from_str(&format!(r#"{{"op":3,"d":{nonce}}}"#)).unwrap()).await;
        assert_eq!(next_ack(&mut bob.voice).await, format!(r#"{{"op":6,"d":{nonce}}}"#));
    }
    // v8: {t, seq_ack} answered with {t}, no seq.
    alice.voice.send_json(&json!({"op": 3, "d": {"t": 1_712_345_678_901_u64, "seq_ack": 3}})).await;
    assert_eq!(next_ack(&mut alice.voice).await, r#"{"op":6,"d":{"t":1712345678901}}"#);
}

#[tokio::test]
async fn identify_refusals_wrong_session_4004_unknown_guild_4011() {
    let world = World::start(2, 0, 1).await;
    let alice = &world.bots[1];
    let mut gateway = world.login(alice, VOICE_INTENTS).await;
    let join = voice::join(&mut gateway, &world.guild, &world.voice[0], &alice.id).await;

    let wrong_session = VoiceJoin { session_id: "0".repeat(32), ..join.clone() };
    assert_eq!(identify_close(&world, &wrong_session).await, Some(4004));
    let wrong_user = VoiceJoin { user_id: world.bots[0].id.clone(), ..join.clone() };
    assert_eq!(identify_close(&world, &wrong_user).await, Some(4004));
    let unknown_guild = VoiceJoin { guild_id: "4242424242424242".into(), ..join.clone() };
    assert_eq!(identify_close(&world, &unknown_guild).await, Some(4011));
    // The real one still works after the refusals.
    let client = VoiceClient::connect(world.server.ca_path(), &join, 8, Mode::Aes256GcmRtpsize).await;
    assert!(client.ssrc != 0);
}

#[tokio::test]
async fn speaking_is_relayed_late_joiners_learn_who_is_there_and_leaves_are_announced() {
    let world = World::start(4, 0, 1).await;
    let channel = world.voice[0].clone();
    let (a, b, c) = (&world.bots[1], &world.bots[2], &world.bots[3]);
    let mut alice = world.enter(a, &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(b, &channel, 4, Mode::XChaCha20Poly1305Rtpsize).await;
    let connect = alice.voice.next_message(WAIT).await.unwrap();
    assert_eq!((connect["op"].clone(), connect["d"]["user_ids"].clone()), (json!(11), json!([b.id])));

    alice.voice.speaking(1).await;
    let relayed = bob.voice.next_message(WAIT).await.expect("op 5 relayed");
    assert_eq!(relayed, json!({"op": 5, "d": {"user_id": a.id, "ssrc": alice.voice.ssrc, "speaking": 1}}));
    assert_eq!(bob.voice.speakers.get(&alice.voice.ssrc), Some(&a.id));
    // An op 5 with someone else's SSRC is not relayed.
    let bob_ssrc = bob.voice.ssrc;
    alice.voice.send_json(&json!({"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": bob_ssrc}})).await;
    alice.voice.send_json(&json!({"op": 5, "d": {"speaking": 0, "delay": 0, "ssrc": alice.voice.ssrc}})).await;
    let relayed = bob.voice.next_message(WAIT).await.expect("op 5 relayed");
    assert_eq!(relayed["d"], json!({"user_id": a.id, "ssrc": alice.voice.ssrc, "speaking": 0}));
    alice.voice.speaking(1).await;
    let _ = bob.voice.next_message(WAIT).await.expect("op 5 relayed");

    // Carol joins later: op 11 lists both, op 5 replays the one that announced its SSRC.
    let mut carol = world.enter(c, &channel, 8, Mode::Aes256GcmRtpsize).await;
    let connects: Vec<_> = carol.voice.messages.iter().filter(|m| m["op"] == 11).collect();
    assert_eq!(connects.len(), 1, "{:?}", carol.voice.messages);
    let users: BTreeSet<_> =
        connects[0]["d"]["user_ids"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_owned()).collect();
    assert_eq!(users, BTreeSet::from([a.id.clone(), b.id.clone()]));
    let speaking: Vec<_> = carol.voice.messages.iter().filter(|m| m["op"] == 5).collect();
    assert_eq!(speaking.len(), 1, "{:?}", carol.voice.messages);
    assert_eq!(speaking[0]["d"], json!({"user_id": a.id, "ssrc": alice.voice.ssrc, "speaking": 1}));
    assert_eq!(carol.voice.speakers.get(&alice.voice.ssrc), Some(&a.id));

    // Bob leaves: op 13 to those still there.
    bob.gateway.send_json(&op4(&world, None, false, false)).await;
    for client in [&mut alice.voice, &mut carol.voice] {
        let gone = loop {
            let message = client.next_message(WAIT).await.expect("op 13");
            if message["op"] != 11 {
                break message;
            }
        };
        assert_eq!((gone["op"].clone(), gone["d"].clone()), (json!(13), json!({"user_id": b.id})));
    }
    assert_eq!(bob.voice.expect_close(WAIT).await, Some(4014));
}

/// Bots 1 (alice) and 2 (bob) in the first voice channel on voice gateway v8.
async fn pair(world: &World, alice: Mode, bob: Mode) -> (InVoice, InVoice) {
    let channel = &world.voice[0];
    let alice = world.enter(&world.bots[1], channel, 8, alice).await;
    let bob = world.enter(&world.bots[2], channel, 8, bob).await;
    (alice, bob)
}

/// RESUME after a sever: accepted at once, whether or not the server has seen the old socket
/// end yet (a RESUME takes over a connection that still looks open).
async fn resume_after_sever(world: &World, client: &mut InVoice, seq_ack: Option<u64>) {
    if let Err(code) = client.voice.resume(world.server.ca_path(), &client.join, 8, seq_ack).await {
        panic!("RESUME refused: {code:?}");
    }
}

#[tokio::test]
async fn resume_takes_over_a_connection_that_still_looks_open() {
    // discord.js resumes after three missed heartbeat ACKs and songbird on any transport
    // error, long before the server's heartbeat deadline would notice a dead socket.
    let world = World::start(3, 0, 1).await;
    let (mut alice, mut bob) = pair(&world, Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize).await;
    let _ = alice.voice.next_message(WAIT).await.expect("op 11 for bob");
    let seen = alice.voice.last_seq().expect("v8 seq");
    // No sever: the old WebSocket is open when the RESUME arrives on the new one.
    resume_after_sever(&world, &mut alice, Some(seen)).await;
    bob.voice.speaking(1).await;
    let relayed = alice.voice.next_message(WAIT).await.expect("op 5 on the new connection");
    assert_eq!(relayed["seq"], seen + 1);
    assert_eq!(relayed["d"]["ssrc"], bob.voice.ssrc);
    alice.voice.send_audio(&[0xF8, 9]).await;
    let (header, payload) = bob.voice.recv_audio(WAIT).await.expect("alice heard");
    assert_eq!((header.ssrc, payload), (alice.voice.ssrc, vec![0xF8, 9]));
}

#[tokio::test]
async fn resume_replays_what_was_missed_and_media_keeps_its_ssrc_and_key() {
    let world = World::start(3, 0, 1).await;
    let b = &world.bots[2];
    let (mut alice, mut bob) = pair(&world, Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize).await;
    let _ = alice.voice.next_message(WAIT).await.expect("op 11 for bob");
    let seen = alice.voice.last_seq().expect("v8 seq");
    assert_eq!(seen, 3);
    alice.voice.send_json(&json!({"op": 3, "d": {"t": 1, "seq_ack": seen}})).await;
    assert_eq!(next_ack(&mut alice.voice).await, r#"{"op":6,"d":{"t":1}}"#);

    alice.voice.sever().await;
    // Give the server the moment it needs to see the socket end, so that what follows is sent
    // while no WebSocket is attached (it would be kept either way).
    tokio::time::sleep(Duration::from_millis(100)).await;
    bob.voice.speaking(1).await;
    bob.voice.speaking(0).await;
    resume_after_sever(&world, &mut alice, Some(seen)).await;
    for (seq, speaking) in [(4, 1), (5, 0)] {
        let replayed = alice.voice.next_message(WAIT).await.expect("replayed op 5");
        assert_eq!(
            replayed,
            json!({"op": 5, "d": {"user_id": b.id, "ssrc": bob.voice.ssrc, "speaking": speaking}, "seq": seq})
        );
    }
    // Live relays continue the sequence on the new WebSocket.
    bob.voice.speaking(1).await;
    assert_eq!(alice.voice.next_message(WAIT).await.unwrap()["seq"], 6);

    // Media never stopped: same SSRC, same keys, both ways.
    alice.voice.send_audio(&[0xF8, 1]).await;
    let (header, payload) = bob.voice.recv_audio(WAIT).await.expect("alice heard");
    assert_eq!((header.ssrc, payload), (alice.voice.ssrc, vec![0xF8, 1]));
    bob.voice.send_audio(&[0xF8, 2]).await;
    let (header, payload) = alice.voice.recv_audio(WAIT).await.expect("bob heard");
    assert_eq!((header.ssrc, payload), (bob.voice.ssrc, vec![0xF8, 2]));
}

#[tokio::test]
async fn resume_with_a_wrong_token_is_4006() {
    let world = World::start(2, 0, 1).await;
    let mut alice = world.enter(&world.bots[1], &world.voice[0], 8, Mode::Aes256GcmRtpsize).await;
    alice.voice.sever().await;
    let wrong = VoiceJoin { token: "0".repeat(32), ..alice.join.clone() };
    let seq = alice.voice.last_seq();
    assert_eq!(alice.voice.resume(world.server.ca_path(), &wrong, 8, seq).await, Err(Some(4006)));
    // The session itself is still there for the right token.
    resume_after_sever(&world, &mut alice, seq).await;
}

#[tokio::test]
async fn aes_gcm_and_xchacha_members_hear_each_other() {
    let world = World::start(3, 0, 1).await;
    let (mut alice, mut bob) = pair(&world, Mode::Aes256GcmRtpsize, Mode::XChaCha20Poly1305Rtpsize).await;
    assert_eq!(alice.voice.cipher.mode(), Mode::Aes256GcmRtpsize);
    assert_eq!(bob.voice.cipher.mode(), Mode::XChaCha20Poly1305Rtpsize);
    for i in 0..3u8 {
        alice.voice.send_audio(&[0xF8, i]).await;
        let (header, payload) = bob.voice.recv_audio(WAIT).await.expect("AES-GCM → XChaCha");
        assert_eq!((header.ssrc, header.sequence, payload), (alice.voice.ssrc, u16::from(i), vec![0xF8, i]));
        bob.voice.send_audio(&[0xFC, i]).await;
        let (header, payload) = alice.voice.recv_audio(WAIT).await.expect("XChaCha → AES-GCM");
        assert_eq!((header.ssrc, payload), (bob.voice.ssrc, vec![0xFC, i]));
    }
}

#[tokio::test]
async fn csrcs_and_header_extensions_are_forwarded_with_the_prefix_intact() {
    let world = World::start(3, 0, 1).await;
    let (mut alice, mut bob) = pair(&world, Mode::XChaCha20Poly1305Rtpsize, Mode::Aes256GcmRtpsize).await;
    // Two one-byte elements (id 1 len 1, id 2 len 2) padded to two words.
    let extension = [0x10, 0x7F, 0x21, 0xAB, 0xCD, 0, 0, 0];
    let packet = alice.voice.audio_packet_with(&[0xF8, 0xFF, 0xFE], &[0x1111_1111, 0x2222_2222], &extension);
    let sent = rtp::parse_rtp(&packet).unwrap();
    assert_eq!((sent.csrc_count, sent.has_extension, sent.prefix_len), (2, true, 12 + 8 + 4));
    alice.voice.send_raw(&packet).await;

    let got = bob.voice.recv_raw(WAIT).await.expect("forwarded");
    assert_eq!(got[..sent.prefix_len], packet[..sent.prefix_len], "header, CSRCs and extension preamble kept");
    let header = rtp::parse_rtp(&got).unwrap();
    assert_eq!(header, sent);
    let mut plaintext = Vec::new();
    bob.voice.cipher.open(&got, header.prefix_len, &mut plaintext).expect("sealed for bob");
    let mut expected = extension.to_vec();
    expected.extend_from_slice(&[0xF8, 0xFF, 0xFE]);
    assert_eq!(plaintext, expected);
    assert_eq!(header.payload(&plaintext), Some(&[0xF8, 0xFF, 0xFE][..]));
}

#[tokio::test]
async fn rtcp_and_keepalives_are_not_forwarded() {
    let world = World::start(3, 0, 1).await;
    let (mut alice, mut bob) = pair(&world, Mode::Aes256GcmRtpsize, Mode::Aes256GcmRtpsize).await;
    let ssrc = alice.voice.ssrc.to_be_bytes();
    // An RTCP sender report (PT 200, length 6 words) and a receiver report (PT 201).
    let mut sender_report = vec![0x80, 200, 0, 6];
    sender_report.extend_from_slice(&ssrc);
    sender_report.extend_from_slice(&[0; 20]);
    let mut receiver_report = vec![0x80, 201, 0, 1];
    receiver_report.extend_from_slice(&ssrc);
    alice.voice.send_raw(&sender_report).await;
    alice.voice.send_raw(&receiver_report).await;
    // Keepalives: discord.js's 8-byte counter, songbird's 4-byte SSRC.
    alice.voice.send_raw(&7u64.to_le_bytes()).await;
    alice.voice.send_raw(&ssrc).await;
    alice.voice.send_audio(&[0xF8, 9]).await;

    let first = bob.voice.recv_raw(WAIT).await.expect("the audio packet");
    let header = rtp::parse_rtp(&first).expect("the first datagram bob gets is RTP");
    let mut plaintext = Vec::new();
    bob.voice.cipher.open(&first, header.prefix_len, &mut plaintext).unwrap();
    assert_eq!((header.ssrc, plaintext), (alice.voice.ssrc, vec![0xF8, 9]));
}

#[tokio::test]
async fn a_self_deafened_member_receives_nothing() {
    let world = World::start(4, 0, 1).await;
    let channel = world.voice[0].clone();
    let mut alice = world.enter(&world.bots[1], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(&world.bots[2], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut carol = world.enter(&world.bots[3], &channel, 8, Mode::Aes256GcmRtpsize).await;

    let id = world.bots[2].id.as_str();
    bob.gateway.send_json(&op4(&world, Some(&channel), false, true)).await;
    assert_eq!(state_of(&mut bob.gateway, id).await["self_deaf"], true);
    alice.voice.send_audio(&[1]).await;
    alice.voice.send_audio(&[2]).await;
    // Carol got both, so the server is done with the first: had it been sealed for bob, it
    // would be waiting in his socket now.
    assert_eq!(carol.voice.recv_audio(WAIT).await.unwrap().1, vec![1]);
    assert_eq!(carol.voice.recv_audio(WAIT).await.unwrap().1, vec![2]);
    assert!(bob.voice.try_recv_raw().is_none(), "a self-deafened member receives nothing");

    bob.gateway.send_json(&op4(&world, Some(&channel), false, false)).await;
    assert_eq!(state_of(&mut bob.gateway, id).await["self_deaf"], false);
    alice.voice.send_audio(&[3]).await;
    assert_eq!(bob.voice.recv_audio(WAIT).await.unwrap().1, vec![3], "undeafened: the next packet arrives");
}

#[tokio::test]
async fn a_member_without_select_protocol_gets_nothing_and_sends_nothing() {
    let world = World::start(4, 0, 1).await;
    let channel = world.voice[0].clone();
    let mut alice = world.enter(&world.bots[1], &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(&world.bots[2], &channel, 8, Mode::Aes256GcmRtpsize).await;

    // Dave identifies and does IP discovery (so the SFU knows his address) but never selects
    // a protocol, so he has no key.
    let dave = &world.bots[3];
    let mut gateway = world.login(dave, VOICE_INTENTS).await;
    let join = voice::join(&mut gateway, &world.guild, &channel, &dave.id).await;
    let mut socket = VoiceSocket::connect(world.server.ca_path(), &format!("wss://{}?v=8", join.endpoint)).await;
    socket.identify(&join).await;
    let ready = socket.next_op(2, WAIT).await.expect("READY")["d"].clone();
    let ssrc = u32::try_from(ready["ssrc"].as_u64().unwrap()).unwrap();
    let media: std::net::SocketAddr = format!("{}:{}", ready["ip"].as_str().unwrap(), ready["port"]).parse().unwrap();
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(&discovery::request(ssrc), media).await.unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = tokio::time::timeout(WAIT, udp.recv_from(&mut buf)).await.unwrap().unwrap();
    assert_eq!(discovery::parse_response(&buf[..n]).map(|(s, _)| s), Some(ssrc));

    alice.voice.send_audio(&[1]).await;
    alice.voice.send_audio(&[2]).await;
    assert_eq!(bob.voice.recv_audio(WAIT).await.unwrap().1, vec![1]);
    assert_eq!(bob.voice.recv_audio(WAIT).await.unwrap().1, vec![2]);
    assert!(udp.try_recv_from(&mut buf).is_err(), "no key, no media");

    // Dave's datagrams are not forwarded: an RTP-shaped one with his SSRC and a random one.
    let mut fake = vec![0x80, 0x78, 0, 1, 0, 0, 0, 0];
    fake.extend_from_slice(&ssrc.to_be_bytes());
    fake.extend_from_slice(&[0x5A; 40]);
    udp.send_to(&fake, media).await.unwrap();
    udp.send_to(&[0x13; 100], media).await.unwrap();
    alice.voice.send_audio(&[3]).await;
    let (header, payload) = bob.voice.recv_audio(WAIT).await.unwrap();
    assert_eq!((header.ssrc, payload), (alice.voice.ssrc, vec![3]), "the first thing bob gets is alice's");
}

#[tokio::test]
async fn the_v8_handshake_is_under_1200_bytes() {
    let world = World::start(3, 0, 1).await;
    let channel = world.voice[0].clone();
    let mut alice = world.enter(&world.bots[1], &channel, 8, Mode::Aes256GcmRtpsize).await;
    assert!(alice.voice.handshake_bytes > 300, "counted: {}", alice.voice.handshake_bytes);
    assert!(alice.voice.handshake_bytes < 1200, "handshake took {} bytes", alice.voice.handshake_bytes);
    // Joining a channel with someone in it (op 11 and op 5 arrive during the handshake).
    alice.voice.speaking(1).await;
    let bob = world.enter(&world.bots[2], &channel, 8, Mode::XChaCha20Poly1305Rtpsize).await;
    assert!(bob.voice.handshake_bytes < 1200, "handshake took {} bytes", bob.voice.handshake_bytes);
}
