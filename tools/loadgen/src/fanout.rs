//! `loadgen gateway-fanout`: N sessions (GUILD_MESSAGES) in the seeded guild; the seeded bot
//! POSTs M messages at rate R, each content carrying its index. Per message: latency from the
//! POST being sent to its MESSAGE_CREATE reaching the LAST session; overall: delivered events/s
//! and server CPU-µs per delivered event (from /proc over the message phase). Then the same
//! client code measures `loadgen baseline-ws` (a bare broadcaster sending a frame of the same
//! size) the same way, and every figure is reported with its ratio to the baseline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};

use crate::gateway_client::{self, Compress, Session};
use crate::proc::{self, ProcSample};
use crate::report::Report;
use crate::target::{Baseline, SeedPlan, Server, ServerArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Sessions in the guild (one seeded user each).
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Messages to post.
    #[arg(long, default_value_t = 100)]
    messages: usize,
    /// Messages per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Transport compression(s) to measure, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "none")]
    compress: Vec<Compress>,
    /// Concurrent connect+identify handshakes.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds to wait for the last deliveries after the last message was sent.
    #[arg(long, default_value_t = 10.0)]
    drain_secs: f64,
    /// Skip the baseline (figures without ratios).
    #[arg(long)]
    no_baseline: bool,
}

/// Per-message delivery bookkeeping shared by every session task.
struct Tracker {
    base: Instant,
    /// Nanoseconds after `base` of the latest delivery of each message.
    last_ns: Vec<AtomicU64>,
    count: Vec<AtomicU32>,
    delivered: AtomicU64,
    /// Uncompressed size of a MESSAGE_CREATE frame (for the baseline's frame size).
    frame_len: AtomicUsize,
}

impl Tracker {
    fn new(messages: usize) -> Self {
        Self {
            base: Instant::now(),
            last_ns: (0..messages).map(|_| AtomicU64::new(0)).collect(),
            count: (0..messages).map(|_| AtomicU32::new(0)).collect(),
            delivered: AtomicU64::new(0),
            frame_len: AtomicUsize::new(0),
        }
    }

    fn on_frame(&self, json: &[u8], at: Instant) {
        if gateway_client::event_name(json) != Some(b"MESSAGE_CREATE") {
            return;
        }
        let Some(index) = gateway_client::number_after(json, b"\"content\":\"lg:") else { return };
        let Some(slot) = usize::try_from(index).ok().filter(|i| *i < self.count.len()) else { return };
        self.frame_len.store(json.len(), Ordering::Relaxed);
        let ns = u64::try_from(at.duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        self.last_ns[slot].fetch_max(ns, Ordering::Relaxed);
        self.count[slot].fetch_add(1, Ordering::Relaxed);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    fn complete(&self, sessions: usize) -> bool {
        self.count.iter().all(|c| c.load(Ordering::Relaxed) as usize >= sessions)
    }
}

/// What one phase (guildhall or baseline, one compression) measured.
struct Phase {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    complete: usize,
    delivered: u64,
    per_s: f64,
    cpu_us_per_event: f64,
    cpu_percent: f64,
    frame_len: usize,
    failed_sends: usize,
    /// Sessions that ended during the run (closed by the server, reset).
    lost: usize,
}

/// Sessions reading (and heartbeating) from the moment each is READY.
struct Running {
    sessions: usize,
    tracker: Arc<Tracker>,
    stop: watch::Sender<bool>,
    lost: Arc<AtomicUsize>,
}

/// Opens `tokens.len()` sessions to `addr` + `path`; each starts its read loop at once (a
/// session left unread while thousands of others identify would miss its heartbeat).
async fn open_all(
    addr: SocketAddr,
    path: &str,
    tokens: &[String],
    compress: Compress,
    args: &Args,
) -> anyhow::Result<Running> {
    let tracker = Arc::new(Tracker::new(args.messages));
    let (stop, _) = watch::channel(false);
    let lost = Arc::new(AtomicUsize::new(0));
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let (permits, token, path) = (permits.clone(), token.clone(), path.to_owned());
        let (tracker, lost, stop) = (tracker.clone(), lost.clone(), stop.subscribe());
        tasks.spawn(async move {
            let permit = permits.acquire_owned().await;
            let session = gateway_client::open(i, addr, &path, &token, compress).await?;
            drop(permit);
            tokio::spawn(read(session, tracker, lost, stop));
            anyhow::Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined?.context("opening a session")?;
    }
    Ok(Running { sessions: tokens.len(), tracker, stop, lost })
}

async fn read(session: Session, tracker: Arc<Tracker>, lost: Arc<AtomicUsize>, stop: watch::Receiver<bool>) {
    let stopping = stop.clone();
    if let Err(e) = session.run(stop, |json, at| tracker.on_frame(json, at)).await
        && !*stopping.borrow()
        && lost.fetch_add(1, Ordering::Relaxed) < 3
    {
        eprintln!("loadgen: session ended during the run: {e:#}");
    }
}

/// Runs the message phase: `send(i)` triggers message i; returns the measurements.
async fn measure<F, Fut>(
    running: Running,
    args: &Args,
    sample: impl Fn() -> anyhow::Result<ProcSample>,
    send: F,
) -> anyhow::Result<Phase>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let Running { sessions: n, tracker, stop, lost } = running;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = sample()?;
    let start = tokio::time::Instant::now();
    let mut sent_ns = vec![0u64; args.messages];
    let failed = Arc::new(AtomicUsize::new(0));
    let mut posts = tokio::task::JoinSet::new();
    for (i, slot) in sent_ns.iter_mut().enumerate() {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / args.rate.max(1e-3))).await;
        *slot = u64::try_from(tracker.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let (request, failed) = (send(i), failed.clone());
        posts.spawn(async move {
            if let Err(e) = request.await
                && failed.fetch_add(1, Ordering::Relaxed) < 3
            {
                eprintln!("loadgen: send failed: {e:#}");
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs_f64(args.drain_secs);
    while !tracker.complete(n) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let after = sample()?;
    while posts.join_next().await.is_some() {}
    let _ = stop.send(true);
    let lost = lost.load(Ordering::Relaxed);

    let first_sent = sent_ns.first().copied().unwrap_or(0);
    let mut latencies = hdrhistogram::Histogram::<u64>::new(3)?;
    let mut complete = 0;
    let mut last_delivery = first_sent;
    for (i, sent) in sent_ns.iter().enumerate() {
        let last = tracker.last_ns[i].load(Ordering::Relaxed);
        last_delivery = last_delivery.max(last);
        if tracker.count[i].load(Ordering::Relaxed) as usize >= n {
            complete += 1;
            latencies.record(last.saturating_sub(*sent) / 1000)?;
        }
    }
    let delivered = tracker.delivered.load(Ordering::Relaxed);
    let window = (last_delivery.saturating_sub(first_sent)) as f64 / 1e9;
    let (cpu_us, wall) = proc::delta(&before, &after);
    let ms = |us: u64| us as f64 / 1000.0;
    Ok(Phase {
        p50_ms: ms(latencies.value_at_quantile(0.5)),
        p99_ms: ms(latencies.value_at_quantile(0.99)),
        max_ms: ms(latencies.max()),
        complete,
        delivered,
        per_s: delivered as f64 / window.max(1e-9),
        cpu_us_per_event: cpu_us as f64 / delivered.max(1) as f64,
        cpu_percent: cpu_us as f64 / (wall * 1e6) * 100.0,
        frame_len: tracker.frame_len.load(Ordering::Relaxed),
        failed_sends: failed.load(Ordering::Relaxed),
        lost,
    })
}

async fn guildhall_phase(server: &Server, args: &Args, compress: Compress) -> anyhow::Result<Phase> {
    let tokens: Vec<String> = server.seed.users.iter().map(|u| u.token.clone()).collect();
    let sessions = open_all(server.addr, "/gateway?v=10&encoding=json", &tokens, compress, args).await?;
    let bot = server.seed.bots.first().context("no seeded bot")?.token.clone();
    let channel = server.seed.text_channels.first().context("no seeded channel")?.id.clone();
    let url = format!("{}/api/v10/channels/{channel}/messages", server.http);
    let http = reqwest::Client::new();
    let auth = format!("Bot {bot}");
    measure(
        sessions,
        args,
        || server.sample(),
        |i| {
            let request = http
                .post(&url)
                .header("Authorization", &auth)
                .json(&serde_json::json!({ "content": format!("lg:{i}; fan-out") }))
                .send();
            async move {
                let response = request.await?;
                anyhow::ensure!(response.status().is_success(), "POST answered {}", response.status());
                Ok(())
            }
        },
    )
    .await
}

async fn baseline_phase(args: &Args, compress: Compress, size: usize) -> anyhow::Result<Phase> {
    let (baseline, line) = Baseline::start(&[
        "baseline-ws".to_owned(),
        "--size".to_owned(),
        size.to_string(),
        "--compress".to_owned(),
        compress.name().to_owned(),
    ])
    .await?;
    let mut addrs = line.split_whitespace().map(str::parse::<SocketAddr>);
    let ws = addrs.next().context("no baseline address")??;
    let control = addrs.next().context("no baseline control address")??;
    let tokens = vec![String::new(); args.sessions];
    let sessions = open_all(ws, "/?v=10&encoding=json", &tokens, compress, args).await?;
    let stream = Arc::new(tokio::sync::Mutex::new(tokio::net::TcpStream::connect(control).await?));
    let phase = measure(
        sessions,
        args,
        || baseline.sample(),
        |i| {
            let stream = stream.clone();
            async move {
                stream.lock().await.write_all(format!("{i}\n").as_bytes()).await?;
                Ok(())
            }
        },
    )
    .await;
    drop(baseline);
    phase
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let plan =
        SeedPlan { bots: 1, users: u32::try_from(args.sessions)?, text_channels: 1, voice_channels: 0, messages: 0 };
    let server = Server::start(&args.server, &plan, &[]).await?;
    let mut report = Report::new("gateway-fanout");
    report
        .param("sessions", args.sessions)
        .param("messages", args.messages)
        .param("rate_per_s", args.rate)
        .param("intents", gateway_client::INTENTS);
    for &compress in &args.compress {
        let gh = guildhall_phase(&server, &args, compress).await?;
        let c = compress.name();
        report
            .figure(format!("{c}.frame_bytes"), gh.frame_len as f64, "B")
            .figure(format!("{c}.messages_complete"), gh.complete as f64, "")
            .figure(format!("{c}.failed_posts"), gh.failed_sends as f64, "")
            .figure(format!("{c}.sessions_lost"), gh.lost as f64, "")
            .figure(format!("{c}.latency_p50"), gh.p50_ms, "ms")
            .figure(format!("{c}.latency_p99"), gh.p99_ms, "ms")
            .figure(format!("{c}.latency_max"), gh.max_ms, "ms")
            .figure(format!("{c}.delivered"), gh.delivered as f64, "")
            .figure(format!("{c}.delivered_per_s"), gh.per_s, "/s")
            .figure(format!("{c}.server_cpu_us_per_event"), gh.cpu_us_per_event, "µs")
            .figure(format!("{c}.server_cpu_percent"), gh.cpu_percent, "%");
        if args.no_baseline {
            continue;
        }
        // Sessions of the previous phase are closing; give the server a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let base = baseline_phase(&args, compress, gh.frame_len.max(64)).await?;
        report
            .figure(format!("{c}.baseline.latency_p50"), base.p50_ms, "ms")
            .figure(format!("{c}.baseline.latency_p99"), base.p99_ms, "ms")
            .figure(format!("{c}.baseline.delivered_per_s"), base.per_s, "/s")
            .figure(format!("{c}.baseline.cpu_us_per_event"), base.cpu_us_per_event, "µs")
            .figure(format!("{c}.baseline.cpu_percent"), base.cpu_percent, "%")
            .ratio(format!("{c}.ratio.latency_p50"), gh.p50_ms, base.p50_ms)
            .ratio(format!("{c}.ratio.latency_p99"), gh.p99_ms, base.p99_ms)
            .ratio(format!("{c}.ratio.delivered_per_s"), gh.per_s, base.per_s)
            .ratio(format!("{c}.ratio.cpu_us_per_event"), gh.cpu_us_per_event, base.cpu_us_per_event);
    }
    server.stop().await;
    Ok(report)
}
