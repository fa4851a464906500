//! Voice end to end against the real server: gateway op 4 → VOICE_STATE_UPDATE then
//! VOICE_SERVER_UPDATE → voice WebSocket over TLS (generated CA) → UDP discovery → encrypted RTP
//! forwarded and re-encrypted per receiver; REST moderation takes effect on the media path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use gateway_support::{World, intents};
use guildhall_testkit::voice;
use guildhall_voice_proto::crypto::Mode;
use serde_json::json;

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn audio_reaches_the_other_member_re_encrypted_and_moderation_applies_at_once() {
    let world = World::start(3, 0, 1).await;
    let (a, b) = (&world.bots[0], &world.bots[1]);
    let channel = world.voice[0].clone();
    let mut alice = world.enter(a, &channel, 8, Mode::Aes256GcmRtpsize).await;
    let mut bob = world.enter(b, &channel, 4, Mode::XChaCha20Poly1305Rtpsize).await;
    assert!(alice.voice.handshake_bytes < 1200, "handshake took {} bytes", alice.voice.handshake_bytes);

    // Bob learns Alice's SSRC from the relayed op 5, in the receiver's version format.
    alice.voice.speaking(1).await;
    let relayed = bob.voice.next_message(Duration::from_secs(5)).await.expect("op 5 relayed");
    let relayed =
        if relayed["op"] == 11 { bob.voice.next_message(Duration::from_secs(5)).await.unwrap() } else { relayed };
    assert_eq!(relayed["op"], 5);
    assert_eq!(relayed["d"]["user_id"], a.id.as_str());
    assert_eq!(relayed["d"]["ssrc"], alice.voice.ssrc);
    assert!(relayed.get("seq").is_none(), "v4 messages carry no seq: {relayed}");

    for i in 0..5u8 {
        alice.voice.send_audio(&[0xF8, i, i]).await;
    }
    for i in 0..5u8 {
        let (header, payload) = bob.voice.recv_audio(Duration::from_secs(5)).await.expect("forwarded packet");
        assert_eq!(header.ssrc, alice.voice.ssrc);
        assert_eq!(header.payload_type, 120);
        assert_eq!(payload, vec![0xF8, i, i]);
    }
    // Nothing comes back to the sender.
    assert!(alice.voice.recv_audio(SHORT).await.is_none());

    // Server mute: nothing more from Alice; unmute: audio again.
    let member = format!("/guilds/{}/members/{}", world.guild, a.id);
    world.rest.ok(world.owner(), "PATCH", &member, Some(json!({"mute": true}))).await;
    alice.voice.send_audio(&[1, 2, 3]).await;
    assert!(bob.voice.recv_audio(SHORT).await.is_none(), "a server-muted member is not forwarded");
    world.rest.ok(world.owner(), "PATCH", &member, Some(json!({"mute": false}))).await;
    alice.voice.send_audio(&[4, 5, 6]).await;
    assert_eq!(bob.voice.recv_audio(Duration::from_secs(5)).await.expect("unmuted").1, vec![4, 5, 6]);

    // Server deafen on Bob: nothing to him.
    let bob_member = format!("/guilds/{}/members/{}", world.guild, b.id);
    world.rest.ok(world.owner(), "PATCH", &bob_member, Some(json!({"deaf": true}))).await;
    alice.voice.send_audio(&[7]).await;
    assert!(bob.voice.recv_audio(SHORT).await.is_none(), "a deafened member receives nothing");
    world.rest.ok(world.owner(), "PATCH", &bob_member, Some(json!({"deaf": false}))).await;

    // A move to another channel separates them at once.
    let other = world
        .rest
        .ok(
            world.owner(),
            "POST",
            &format!("/guilds/{}/channels", world.guild),
            Some(json!({"name": "Other", "type": 2})),
        )
        .await;
    world.rest.ok(world.owner(), "PATCH", &member, Some(json!({"channel_id": other["id"]}))).await;
    alice.voice.send_audio(&[8]).await;
    assert!(bob.voice.recv_audio(SHORT).await.is_none(), "moved away: not heard");

    // Disconnect: the voice WebSocket is closed with 4014.
    world.rest.ok(world.owner(), "PATCH", &member, Some(json!({"channel_id": null}))).await;
    assert_eq!(alice.voice.expect_close(Duration::from_secs(5)).await, Some(4014));
}

#[tokio::test]
async fn identify_with_a_wrong_token_is_refused_with_4004() {
    let world = World::start(2, 0, 1).await;
    let a = &world.bots[0];
    let mut gateway = world.login(a, intents::GUILDS | intents::GUILD_VOICE_STATES).await;
    let mut join = voice::join(&mut gateway, &world.guild, &world.voice[0], &a.id).await;
    join.token = "0".repeat(32);
    let url = format!("wss://{}?v=8", join.endpoint);
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        &url,
        None,
        false,
        Some(voice::tls_connector(world.server.ca_path())),
    )
    .await
    .unwrap();
    use futures_util::{SinkExt, StreamExt};
    let identify = json!({"op": 0, "d": {"server_id": join.guild_id, "user_id": join.user_id,
        "session_id": join.session_id, "token": join.token}});
    ws.send(tokio_tungstenite::tungstenite::Message::text(identify.to_string())).await.unwrap();
    let mut code = None;
    while let Some(Ok(message)) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
            code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(4004));
}

#[tokio::test]
async fn deleting_the_channel_terminates_the_call_with_4022() {
    let world = World::start(2, 0, 1).await;
    let mut alice = world.enter(&world.bots[1], &world.voice[0], 8, Mode::Aes256GcmRtpsize).await;
    world.rest.ok(world.owner(), "DELETE", &format!("/channels/{}", world.voice[0]), None).await;
    // 4022 (call terminated: clients do not retry), not 4014 (disconnected).
    assert_eq!(alice.voice.expect_close(Duration::from_secs(5)).await, Some(4022));
}

#[tokio::test]
async fn voice_regions_are_those_of_the_voice_servers() {
    let world = World::start_with(2, 0, 1, |c| c.voice.region = Some("eu-west".into())).await;
    let regions = world.rest.ok(world.owner(), "GET", "/voice/regions", None).await;
    assert_eq!(
        regions,
        json!([{"id": "eu-west", "name": "eu-west", "optimal": true, "deprecated": false, "custom": true}])
    );
    let channel = format!("/channels/{}", world.voice[0]);
    let (status, body) = world.rest.call(world.owner(), "PATCH", &channel, Some(json!({"rtc_region": "local"}))).await;
    assert_eq!((status, body["code"].clone()), (400, json!(50035)), "no server serves `local`: {body}");
    let updated = world.rest.ok(world.owner(), "PATCH", &channel, Some(json!({"rtc_region": "eu-west"}))).await;
    assert_eq!(updated["rtc_region"], "eu-west");
    // Joining a channel of that region still reaches the (only) voice server.
    let mut alice = world.enter(&world.bots[1], &world.voice[0], 8, Mode::XChaCha20Poly1305Rtpsize).await;
    alice.voice.speaking(1).await;
}
