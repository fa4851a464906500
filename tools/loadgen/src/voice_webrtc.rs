//! `loadgen voice --webrtc`: the same rooms, speakers and rates as the native run, every
//! participant joining as a browser does (SELECT_PROTOCOL `webrtc`, str0m client with ICE and
//! DTLS-SRTP). Reported like the native path: forwarded packets/s as received, server CPU-µs per
//! forwarded packet, added latency (send stamp in the payload), loss.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;

use super::voice_client::{self, JoinedWeb};
use super::webrtc_client::{self, FRAME};
use super::{Args, Phase, join_specs, report_phase, udp_errors};
use crate::proc;
use crate::report::Report;
use crate::target::Server;

pub(super) async fn run(server: &Server, args: &Args, mut report: Report) -> anyhow::Result<Report> {
    let per_channel = args.speakers + args.listeners;
    report.param("transport", "webrtc");
    let specs = join_specs(server, args, args.mode.mode())?;
    let tls = voice_client::tls_connector(&server.ca_path)?;
    // Receive slots: one per speaker, as Janus subscribers get one m-line per publisher (the
    // server hands slots out in join order, and speakers join first). Every m-line costs str0m
    // work on every poll, so offering one per listener too would only measure idle m-lines.
    let slots = args.speakers.max(1);
    report.param("receive_slots", slots);
    let setup = Instant::now();
    let joined: Vec<anyhow::Result<JoinedWeb>> =
        futures_util::stream::iter(specs.iter().map(|spec| {
            let tls = tls.clone();
            async move {
                voice_client::join_webrtc(spec, &tls, slots).await.with_context(|| format!("user {}", spec.user_id))
            }
        }))
        .buffered(args.join_concurrency.max(1))
        .collect()
        .await;
    let mut joined: Vec<JoinedWeb> = joined.into_iter().collect::<anyhow::Result<_>>()?;
    let joins = setup.elapsed();
    let speaking: Vec<bool> = (0..joined.len()).map(|i| i % per_channel < args.speakers).collect();
    for (j, &speaks) in joined.iter().zip(&speaking) {
        if speaks {
            j.speaking();
        }
    }
    // The media moves to a thread of its own; the WebSocket keepers stay with `joined`.
    let clients: Vec<webrtc_client::WebClient> =
        joined.iter_mut().map(|j| j.client.take().context("client taken twice")).collect::<anyhow::Result<_>>()?;
    let packets = u32::try_from(args.seconds * 1000 / FRAME.as_millis() as u64)?;
    let payload = args.payload;
    let pid = server.pid;
    let (clients, connected_in, phase) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut clients = clients;
        let t = Instant::now();
        webrtc_client::connect_all(&mut clients, Duration::from_secs(30))?;
        let connected_in = t.elapsed();
        // Slots are handed out as peers connect: give the last op 12s a moment.
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now() + Duration::from_millis(100);
        let udp_before = udp_errors();
        let cpu_before = proc::sample(pid)?;
        let until = start + FRAME * packets + Duration::from_millis(500);
        let outcome = webrtc_client::run(&mut clients, &speaking, start, packets, payload, until)?;
        let cpu_after = proc::sample(pid)?;
        let udp_after = udp_errors();
        let (cpu_us, secs) = proc::delta(&cpu_before, &cpu_after);
        Ok((clients, connected_in, (outcome, cpu_us, secs, udp_before, udp_after)))
    })
    .await??;
    report.figure("handshakes_per_s", joined.len() as f64 / joins.as_secs_f64(), "/s");
    report.figure("ice_dtls_connect_all", connected_in.as_secs_f64() * 1000.0, "ms");
    let (outcome, cpu_us, secs, udp_before, udp_after) = phase;
    let mut phase = Phase {
        delivered: 0,
        expected: 0,
        worst_stream_loss: 0.0,
        latency_us: outcome.latency_us,
        corrupt: 0,
        seconds: secs.max(1e-3),
        cpu_us,
        rcvbuf_errors: udp_after.0.saturating_sub(udp_before.0),
        sndbuf_errors: udp_after.1.saturating_sub(udp_before.1),
    };
    // Receive m-lines carry the slots' SSRCs, not the speakers': loss is per receiver (what it
    // got of everything its room's other speakers sent).
    for (i, c) in clients.iter().enumerate() {
        let room = i / per_channel;
        let expected: u64 = (room * per_channel..(room + 1) * per_channel)
            .filter(|&s| s != i && s % per_channel < args.speakers)
            .map(|s| u64::from(outcome.sent[s]))
            .sum();
        phase.delivered += c.received.min(expected);
        phase.expected += expected;
        phase.corrupt += c.corrupt;
        if expected > 0 {
            let loss = 100.0 * (1.0 - c.received.min(expected) as f64 / expected as f64);
            phase.worst_stream_loss = phase.worst_stream_loss.max(loss);
        }
    }
    report_phase(&mut report, "", &phase);
    drop(joined);
    if phase.delivered == 0 {
        bail!("no packet reached a WebRTC client; server log: {}", server.log_path().display());
    }
    Ok(report)
}
