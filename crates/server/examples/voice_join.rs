//! Measures the voice join path on loopback, as BENCHMARKS.md reports it:
//!
//! - the handshake size: every voice WebSocket byte both ways from connect to
//!   SESSION_DESCRIPTION, for v8 (discord.js, discord.py) and v4 (songbird);
//! - join latency: from a bot's gateway op 4 to the first packet it sends arriving, re-encrypted,
//!   at another member already in the channel (op 4 → VOICE_STATE_UPDATE → VOICE_SERVER_UPDATE →
//!   TLS connect → IDENTIFY/READY → UDP discovery → SELECT_PROTOCOL/SESSION_DESCRIPTION → op 5 →
//!   RTP → SFU → receiver).
//!
//! Run: `cargo run --release -p guildhall-server --example voice_join [iterations]`.
//! The server runs in-process (TLS with its generated CA, UDP on loopback), as in the tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use guildhall_testkit::gateway::{Compression, GatewayClient};
use guildhall_testkit::voice::{self, VoiceClient};
use guildhall_testkit::{TestServer, small_seed};
use guildhall_voice_proto::crypto::Mode;
use serde_json::json;

const VOICE_INTENTS: u64 = 1 | (1 << 7);

async fn login(server: &TestServer, token: &str) -> GatewayClient {
    let mut gateway = GatewayClient::connect(&server.gateway_url(), Compression::None).await;
    gateway.login(token, VOICE_INTENTS).await;
    gateway
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(50);
    let server = TestServer::start_with(|c| c.rate_limits.enabled = false).await;
    let seed = server.seed(&small_seed()).await;
    let guild = seed.guild.id.to_string();
    let channel = seed.voice_channels[0].id.to_string();
    let (listener, speaker) = (&seed.bots[0], &seed.bots[1]);

    let mut listener_gateway = login(&server, &listener.token).await;
    let join = voice::join(&mut listener_gateway, &guild, &channel, &listener.id.to_string()).await;
    let mut receiver = VoiceClient::connect(server.ca_path(), &join, 8, Mode::Aes256GcmRtpsize).await;
    println!("handshake v8 (aead_aes256_gcm_rtpsize): {} bytes", receiver.handshake_bytes);

    let mut speaker_gateway = login(&server, &speaker.token).await;
    let speaker_id = speaker.id.to_string();
    let mut samples = Vec::with_capacity(iterations);
    let mut v4_bytes = 0;
    for i in 0..iterations {
        if i > 0 && i % 50 == 0 {
            // Two op 4 per join: a fresh gateway session keeps under 120 commands a minute.
            speaker_gateway = login(&server, &speaker.token).await;
        }
        // Alternate versions and modes so both paths are in the figures.
        let (version, mode) =
            if i % 2 == 0 { (8, Mode::Aes256GcmRtpsize) } else { (4, Mode::XChaCha20Poly1305Rtpsize) };
        let start = Instant::now();
        let join = voice::join(&mut speaker_gateway, &guild, &channel, &speaker_id).await;
        let signalled = start.elapsed();
        let mut sender = VoiceClient::connect(server.ca_path(), &join, version, mode).await;
        if std::env::var_os("PHASES").is_some() {
            eprintln!("gateway {:?} voice handshake {:?}", signalled, start.elapsed() - signalled);
        }
        if version == 4 {
            v4_bytes = sender.handshake_bytes;
        }
        sender.speaking(1).await;
        sender.send_audio(&[0xF8, 0xFF, 0xFE]).await;
        let (header, _) = receiver.recv_audio(Duration::from_secs(5)).await.expect("first packet forwarded");
        samples.push(start.elapsed());
        assert_eq!(header.ssrc, sender.ssrc);
        // Leave, and let the listener see it, before the next join.
        speaker_gateway
            .send_json(
                &json!({"op": 4, "d": {"guild_id": guild, "channel_id": null, "self_mute": false, "self_deaf": false}}),
            )
            .await;
        sender.expect_close(Duration::from_secs(5)).await;
        while receiver.next_message(Duration::from_millis(200)).await.is_some() {}
    }
    println!("handshake v4 (aead_xchacha20_poly1305_rtpsize): {v4_bytes} bytes");
    samples.sort();
    println!(
        "op 4 → first forwarded packet over {iterations} joins: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
    );
    drop(listener_gateway);
    server.stop().await.unwrap();
}
