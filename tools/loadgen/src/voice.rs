//! `loadgen voice`: C voice channels × (K speakers + L listeners), every participant a seeded
//! user going through the real handshake (see `voice_client`), then K·C speakers at 50 packets/s
//! for `--seconds`. Reported: forwarded packets/s (as received by the participants), server
//! CPU-µs per forwarded packet (/proc over the send phase), added latency (send → receive of
//! the sampled participants, which open each packet to read the send time) and loss. Then the
//! same clients, packets and rates through the bare UDP forwarder (`baseline-udp`, a child
//! process), and every guildhall figure as a ratio to the baseline's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use guildhall_voice_proto::crypto::{Cipher, Mode};
use hdrhistogram::Histogram;
use tokio::net::UdpSocket;

// Declared here rather than in main.rs, which the modes share: the files sit beside this one.
#[path = "voice_client.rs"]
mod voice_client;
#[path = "voice_media.rs"]
mod voice_media;
#[path = "voice_webrtc.rs"]
mod voice_webrtc;
#[path = "webrtc_client.rs"]
pub(crate) mod webrtc_client;

use crate::baseline_udp;
use crate::proc::{self, ProcSample};
use crate::report::Report;
use crate::target::{Baseline, SeedPlan, Server, ServerArgs};
use voice_client::{JoinSpec, Joined};
use voice_media::{Endpoint, FRAME, Received, Seal};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Voice channels.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Speakers per channel.
    #[arg(long, default_value_t = 3)]
    speakers: usize,
    /// Listeners per channel.
    #[arg(long, default_value_t = 100)]
    listeners: usize,
    /// Seconds the speakers talk.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Transport encryption mode against guildhall.
    #[arg(long, value_enum, default_value_t = CryptoMode::Aes256Gcm)]
    mode: CryptoMode,
    /// Opus payload bytes per packet (a 20 ms frame at ~64 kbit/s is 160).
    #[arg(long, default_value_t = 160)]
    payload: usize,
    /// Every n-th participant opens every packet to read its send time (1 = all).
    #[arg(long, default_value_t = 1)]
    latency_every: usize,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 16)]
    join_concurrency: usize,
    /// Skip the bare UDP forwarder.
    #[arg(long)]
    no_baseline: bool,
    /// Every participant joins as a browser does: SELECT_PROTOCOL `webrtc`, ICE, DTLS-SRTP
    /// (str0m clients); the baseline is not run (it has no WebRTC).
    #[arg(long)]
    webrtc: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CryptoMode {
    /// aead_aes256_gcm_rtpsize
    Aes256Gcm,
    /// aead_xchacha20_poly1305_rtpsize
    Xchacha20,
}

impl CryptoMode {
    fn mode(self) -> Mode {
        match self {
            CryptoMode::Aes256Gcm => Mode::Aes256GcmRtpsize,
            CryptoMode::Xchacha20 => Mode::XChaCha20Poly1305Rtpsize,
        }
    }
}

/// One target's figures.
#[derive(Debug)]
struct Phase {
    /// Packets received by all participants.
    delivered: u64,
    /// Packets they should have received (each speaker's sent packets × the others in its channel).
    expected: u64,
    /// The worst (receiver, speaker) stream's loss, in %.
    worst_stream_loss: f64,
    latency_us: Histogram<u64>,
    corrupt: u64,
    seconds: f64,
    cpu_us: u64,
    /// The kernel's UDP receive/send buffer overflows during the phase (box-wide, from
    /// /proc/net/snmp): tells a full socket queue apart from a packet the forwarder never sent.
    rcvbuf_errors: u64,
    sndbuf_errors: u64,
}

impl Phase {
    fn pps(&self) -> f64 {
        self.delivered as f64 / self.seconds
    }
    fn cpu_per_packet(&self) -> f64 {
        // No tick of CPU (/proc counts in 10 ms ticks) is no measurement, not zero cost.
        if self.delivered == 0 || self.cpu_us == 0 { f64::NAN } else { self.cpu_us as f64 / self.delivered as f64 }
    }
    fn loss_pct(&self) -> f64 {
        if self.expected == 0 { f64::NAN } else { 100.0 * (1.0 - self.delivered as f64 / self.expected as f64) }
    }
    fn latency_ms(&self, q: f64) -> f64 {
        if self.latency_us.is_empty() { f64::NAN } else { self.latency_us.value_at_quantile(q) as f64 / 1000.0 }
    }
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let per_channel = args.speakers + args.listeners;
    if args.channels == 0 || args.speakers == 0 || per_channel < 2 {
        bail!("need at least one channel, one speaker and someone to hear it");
    }
    let total = args.channels * per_channel;
    let plan =
        SeedPlan { users: u32::try_from(total)?, voice_channels: u32::try_from(args.channels)?, ..SeedPlan::default() };
    let server = Server::start(&args.server, &plan, &[]).await?;
    let mode = args.mode.mode();
    let mut report = Report::new("voice");
    report
        .param("channels", args.channels)
        .param("speakers_per_channel", args.speakers)
        .param("listeners_per_channel", args.listeners)
        .param("seconds", args.seconds)
        .param("mode", mode.as_str())
        .param("payload_bytes", args.payload)
        .param("latency_every", args.latency_every);

    if args.webrtc {
        let result = voice_webrtc::run(&server, &args, report).await;
        server.stop().await;
        return result;
    }
    let setup = Instant::now();
    let joined = join_all(&server, &args, mode).await?;
    report.figure("handshakes_per_s", total as f64 / setup.elapsed().as_secs_f64(), "/s");
    // Every join was a VOICE_STATE_UPDATE to every session: let that fan-out finish before
    // the server's CPU is measured.
    wait_quiet(server.pid).await?;
    for (i, j) in joined.iter().enumerate() {
        if i % per_channel < args.speakers {
            j.speaking();
        }
    }
    let endpoints: Vec<Endpoint> = joined
        .iter()
        .enumerate()
        .map(|(i, j)| Endpoint {
            udp: j.udp.clone(),
            ssrc: j.ssrc,
            seal: Arc::new(Seal::Aead(Cipher::new(j.mode, &j.key))),
            media: j.media,
            channel: i / per_channel,
            speaker: i % per_channel < args.speakers,
            sample_latency: i % args.latency_every.max(1) == 0,
        })
        .collect();
    let guildhall = run_phase(&endpoints, server.pid, &args).await?;
    let log = server.log_path();
    report_phase(&mut report, "", &guildhall);

    if !args.no_baseline {
        let (baseline, addr) = Baseline::start(&["baseline-udp".to_owned()]).await?;
        let addr = addr.trim().parse().context("baseline address")?;
        let plain = register_all(&endpoints, addr).await?;
        let base = run_phase(&plain, baseline.pid, &args).await?;
        report_phase(&mut report, "baseline_", &base);
        report
            .ratio("pps_vs_baseline", guildhall.pps(), base.pps())
            .ratio("cpu_us_per_packet_vs_baseline", guildhall.cpu_per_packet(), base.cpu_per_packet())
            .ratio("latency_p99_vs_baseline", guildhall.latency_ms(0.99), base.latency_ms(0.99));
        // Packets per server CPU-second: the throughput one core would give, which on a shared
        // 2-core box compares better than wall-clock rates that the clients also bound.
        report.ratio("packets_per_cpu_s_vs_baseline", 1.0 / guildhall.cpu_per_packet(), 1.0 / base.cpu_per_packet());
        report.figure("added_latency_p99_over_baseline", guildhall.latency_ms(0.99) - base.latency_ms(0.99), "ms");
    }
    drop(joined);
    if guildhall.delivered == 0 {
        bail!("no packet was forwarded; server log: {}", log.display());
    }
    server.stop().await;
    Ok(report)
}

fn report_phase(report: &mut Report, prefix: &str, phase: &Phase) {
    report
        .figure(format!("{prefix}forwarded_pps"), phase.pps(), "/s")
        .figure(format!("{prefix}cpu_us_per_forwarded"), phase.cpu_per_packet(), "µs")
        .figure(format!("{prefix}packets_per_cpu_s"), 1e6 / phase.cpu_per_packet(), "/s")
        .figure(format!("{prefix}latency_p50"), phase.latency_ms(0.5), "ms")
        .figure(format!("{prefix}latency_p99"), phase.latency_ms(0.99), "ms")
        .figure(format!("{prefix}latency_max"), phase.latency_us.max() as f64 / 1000.0, "ms")
        .figure(format!("{prefix}loss"), phase.loss_pct(), "%")
        .figure(format!("{prefix}worst_stream_loss"), phase.worst_stream_loss, "%")
        .figure(format!("{prefix}corrupt"), phase.corrupt as f64, "packets")
        .figure(format!("{prefix}udp_rcvbuf_errors"), phase.rcvbuf_errors as f64, "packets")
        .figure(format!("{prefix}udp_sndbuf_errors"), phase.sndbuf_errors as f64, "packets");
}

/// Every participant's handshake, `join_concurrency` at a time, in seed order.
async fn join_all(server: &Server, args: &Args, mode: Mode) -> anyhow::Result<Vec<Joined>> {
    let specs = join_specs(server, args, mode)?;
    let tls = voice_client::tls_connector(&server.ca_path)?;
    let results: Vec<anyhow::Result<Joined>> = futures_util::stream::iter(specs.iter().map(|spec| {
        let tls = tls.clone();
        async move { voice_client::join(spec, &tls).await.with_context(|| format!("user {}", spec.user_id)) }
    }))
    .buffered(args.join_concurrency.max(1))
    .collect()
    .await;
    results.into_iter().collect()
}

/// One join request per participant, in seed order (channel by channel, speakers first).
fn join_specs(server: &Server, args: &Args, mode: Mode) -> anyhow::Result<Vec<JoinSpec>> {
    let per_channel = args.speakers + args.listeners;
    (0..args.channels * per_channel)
        .map(|i| -> anyhow::Result<JoinSpec> {
            let user = server.seed.users.get(i).context("fewer seeded users than participants")?;
            let channel = server.seed.voice_channels.get(i / per_channel).context("missing voice channel")?;
            Ok(JoinSpec {
                gateway_url: server.gateway_url(""),
                guild_id: server.seed.guild.id.clone(),
                channel_id: channel.id.clone(),
                user_id: user.id.clone(),
                token: user.token.clone(),
                mode,
            })
        })
        .collect()
}

/// Waits (up to a minute) until the server uses under 5 % of a core over 300 ms.
async fn wait_quiet(pid: u32) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut before = proc::sample(pid)?;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = proc::sample(pid)?;
        let (cpu_us, secs) = proc::delta(&before, &after);
        if (cpu_us as f64) < 0.05 * secs * 1e6 {
            return Ok(());
        }
        before = after;
    }
    Ok(())
}

/// New UDP sockets for the same participants, registered with the baseline forwarder (one
/// room per channel); packets travel in clear.
async fn register_all(endpoints: &[Endpoint], addr: std::net::SocketAddr) -> anyhow::Result<Vec<Endpoint>> {
    let mut plain = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        let udp = UdpSocket::bind("127.0.0.1:0").await?;
        let hello = baseline_udp::register(e.channel as u64);
        let mut buf = [0u8; 64];
        let mut ok = false;
        for _ in 0..10 {
            udp.send_to(&hello, addr).await?;
            if let Ok(Ok((n, _))) = tokio::time::timeout(Duration::from_millis(500), udp.recv_from(&mut buf)).await
                && buf[..n] == hello
            {
                ok = true;
                break;
            }
        }
        if !ok {
            bail!("the baseline forwarder did not acknowledge a registration");
        }
        plain.push(Endpoint { udp: Arc::new(udp.into_std()?), seal: Arc::new(Seal::Plain), media: addr, ..e.clone() });
    }
    Ok(plain)
}

/// Threads that drain the participants' sockets (each takes an equal share of them).
const LISTENER_THREADS: usize = 2;

/// Speakers talk for `--seconds`; everyone listens until half a second after the last packet.
/// The process's CPU is sampled from the first packet to the end of that grace period.
async fn run_phase(endpoints: &[Endpoint], pid: u32, args: &Args) -> anyhow::Result<Phase> {
    let packets = u32::try_from(args.seconds * 1000 / FRAME.as_millis() as u64)?;
    let start = tokio::time::Instant::now() + Duration::from_millis(200);
    let grace = Duration::from_millis(500);
    let until = (start + FRAME * packets + grace).into_std();
    let histogram = voice_media::new_histogram()?;
    let groups = endpoints.len().div_ceil(LISTENER_THREADS).max(1);
    let listeners: Vec<_> = endpoints
        .chunks(groups)
        .map(|group| {
            let (group, histogram) = (group.to_vec(), histogram.clone());
            tokio::task::spawn_blocking(move || voice_media::listen_group(&group, until, &histogram))
        })
        .collect();
    let speakers: Vec<_> = endpoints
        .iter()
        .filter(|e| e.speaker)
        .enumerate()
        .map(|(k, e)| {
            // Spread the speakers over the 20 ms frame, as independent clients would be.
            let offset =
                FRAME * u32::try_from(k).unwrap_or(0) / u32::try_from(args.speakers * args.channels).unwrap_or(1);
            (e.ssrc, e.channel, tokio::spawn(voice_media::speak(e.clone(), start + offset, packets, args.payload)))
        })
        .collect();
    tokio::time::sleep_until(start).await;
    let udp_before = udp_errors();
    let cpu_before: ProcSample = proc::sample(pid)?;
    let mut sent = Vec::new();
    for (ssrc, channel, task) in speakers {
        sent.push((ssrc, channel, task.await?));
    }
    let send_end = Instant::now();
    let mut all: Vec<Received> = Vec::with_capacity(endpoints.len());
    for task in listeners {
        all.extend(task.await?);
    }
    let received: Vec<(&Endpoint, Received)> = endpoints.iter().zip(all).collect();
    let cpu_after = proc::sample(pid)?;
    let udp_after = udp_errors();
    let (cpu_us, _) = proc::delta(&cpu_before, &cpu_after);
    let seconds = send_end.duration_since(cpu_before.at).as_secs_f64().max(1e-3);

    let mut phase = Phase {
        delivered: 0,
        expected: 0,
        worst_stream_loss: 0.0,
        latency_us: histogram,
        corrupt: 0,
        seconds,
        cpu_us,
        rcvbuf_errors: udp_after.0.saturating_sub(udp_before.0),
        sndbuf_errors: udp_after.1.saturating_sub(udp_before.1),
    };
    for (e, r) in &received {
        phase.corrupt += r.corrupt;
        phase.latency_us.add(&r.latency_us).ok();
        for &(ssrc, channel, count) in &sent {
            if channel != e.channel || ssrc == e.ssrc {
                continue;
            }
            let got = r.per_ssrc.get(&ssrc).copied().unwrap_or(0);
            phase.delivered += got.min(u64::from(count));
            phase.expected += u64::from(count);
            if count > 0 {
                let loss = 100.0 * (1.0 - got.min(u64::from(count)) as f64 / f64::from(count));
                phase.worst_stream_loss = phase.worst_stream_loss.max(loss);
            }
        }
    }
    Ok(phase)
}

/// (RcvbufErrors, SndbufErrors) of the `Udp:` lines of /proc/net/snmp; zeros if unreadable.
fn udp_errors() -> (u64, u64) {
    let Ok(snmp) = std::fs::read_to_string("/proc/net/snmp") else { return (0, 0) };
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else { return (0, 0) };
    let field = |name: &str| {
        names.split_whitespace().position(|n| n == name).and_then(|i| values.split_whitespace().nth(i)?.parse().ok())
    };
    (field("RcvbufErrors").unwrap_or(0), field("SndbufErrors").unwrap_or(0))
}
