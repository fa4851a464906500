//! `loadgen`: drives a real `guildhall` process the way clients do (gateway sessions, REST
//! calls, voice participants) and measures it from the outside: latencies on the wire, and the
//! server's CPU time and RSS read from /proc. Each mode also runs its physical baseline on the
//! same box in the same run (a bare WebSocket broadcaster, a bare UDP forwarder), so figures are
//! reported as ratios that survive a noisy shared machine.
//!
//! Output: a human-readable table, then one JSON line (`{"loadgen": …}`) per run for
//! comparisons over time.

mod baseline_udp;
mod baseline_ws;
mod fanout;
mod gateway_client;
mod gateway_idle;
mod janus;
mod net;
mod proc;
mod report;
mod rest;
mod target;
mod voice;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "loadgen", about = "Load generator for guildhall and its physical baselines")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// N identified, heartbeating gateway sessions: server RSS per session and idle CPU.
    GatewayIdle(gateway_idle::Args),
    /// N sessions in one guild, M messages over REST: POST → last delivery latency, CPU per
    /// delivered event, beside a bare WebSocket broadcaster.
    GatewayFanout(fanout::Args),
    /// Message create at concurrency C, history pages over a large channel, member list and
    /// permission-heavy reads.
    Rest(rest::Args),
    /// K speakers × L listeners per channel through the real voice handshake and AEAD: forwarded
    /// packets/s, CPU per forwarded packet, added latency, loss, beside a bare UDP forwarder.
    Voice(voice::Args),
    /// The browser-path load of `voice --webrtc` against a running Janus videoroom (see
    /// scripts/bench-janus.sh): CPU per forwarded packet, for comparison.
    Janus(janus::Args),
    /// The bare WebSocket broadcast server (run as a child process by `gateway-fanout`).
    #[command(hide = true)]
    BaselineWs(baseline_ws::Args),
    /// The bare recvmmsg/sendmmsg UDP forwarder (run as a child process by `voice`).
    #[command(hide = true)]
    BaselineUdp(baseline_udp::Args),
    #[command(hide = true)]
    GatewayIdleWorker(gateway_idle::WorkerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    net::raise_fd_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.mode {
            Mode::GatewayIdle(args) => gateway_idle::run(args).await?.print(),
            Mode::GatewayFanout(args) => fanout::run(args).await?.print(),
            Mode::Rest(args) => rest::run(args).await?.print(),
            Mode::Voice(args) => voice::run(args).await?.print(),
            Mode::Janus(args) => janus::run(args).await?.print(),
            Mode::BaselineWs(args) => baseline_ws::serve(args).await?,
            Mode::BaselineUdp(args) => baseline_udp::serve(args).await?,
            Mode::GatewayIdleWorker(args) => gateway_idle::worker(args).await?,
        }
        Ok(())
    })
}
