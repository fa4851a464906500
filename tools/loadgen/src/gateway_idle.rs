//! `loadgen gateway-idle`: N identified, heartbeating sessions (one per seeded user) against one
//! server; reports the server's RSS per session (slope between half and all sessions open) and
//! its CPU while the sessions sit idle, and the connect+identify rate.
//!
//! One process holds at most ~20k sockets here (RLIMIT_NOFILE hard limit), so with
//! `--workers W` the sessions are held by W child processes (`loadgen gateway-idle-worker`),
//! each told over stdin to open its next batch. The server process has the same limit, which
//! bounds N on this box to about 19k whatever the number of workers.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, watch};

use crate::gateway_client::{self, Compress};
use crate::proc;
use crate::report::Report;
use crate::target::{SeedPlan, Server, ServerArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Sessions to open (one seeded user each).
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Child processes holding the sessions (0: this process holds them).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Concurrent connect+identify handshakes per process.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of idle measurement once every session is open (≥ the 41.25 s heartbeat interval
    /// to see every session heartbeat once).
    #[arg(long, default_value_t = 45.0)]
    idle_secs: f64,
}

/// The hidden worker: holds sessions for `gateway-idle`.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    /// The server's plain listener.
    #[arg(long)]
    addr: SocketAddr,
    /// File with one token per line (this worker's share).
    #[arg(long)]
    tokens: std::path::PathBuf,
    /// Global index of this worker's first session (spreads source addresses).
    #[arg(long, default_value_t = 0)]
    first: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

/// Sessions held by one process, opened batch by batch.
struct Holder {
    addr: SocketAddr,
    tokens: Vec<String>,
    first: usize,
    opened: usize,
    failed: Arc<AtomicUsize>,
    alive: Arc<AtomicUsize>,
    concurrency: usize,
    stop: watch::Sender<bool>,
}

impl Holder {
    fn new(addr: SocketAddr, tokens: Vec<String>, first: usize, concurrency: usize) -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            addr,
            tokens,
            first,
            opened: 0,
            failed: Arc::default(),
            alive: Arc::default(),
            concurrency: concurrency.max(1),
            stop,
        }
    }

    /// Opens the next `count` sessions and waits until each is READY (or failed).
    async fn open(&mut self, count: usize) {
        let end = (self.opened + count).min(self.tokens.len());
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut handshakes = tokio::task::JoinSet::new();
        for i in self.opened..end {
            let token = self.tokens[i].clone();
            let (addr, global, permits) = (self.addr, self.first + i, permits.clone());
            let (failed, alive, stop) = (self.failed.clone(), self.alive.clone(), self.stop.subscribe());
            handshakes.spawn(async move {
                let permit = permits.acquire_owned().await;
                let opened =
                    gateway_client::open(global, addr, "/gateway?v=10&encoding=json", &token, Compress::None).await;
                drop(permit);
                match opened {
                    Ok(session) => {
                        alive.fetch_add(1, Ordering::Relaxed);
                        // The session lives on in its own task after the handshake.
                        tokio::spawn(async move {
                            let stopping = stop.clone();
                            if let Err(e) = session.run(stop, |_, _| {}).await
                                && !*stopping.borrow()
                            {
                                eprintln!("loadgen: session {global} ended: {e:#}");
                            }
                            alive.fetch_sub(1, Ordering::Relaxed);
                        });
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("loadgen: session {global} failed: {e:#}");
                        }
                    }
                }
            });
        }
        while handshakes.join_next().await.is_some() {}
        self.opened = end;
    }

    fn alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }
}

/// `gateway-idle-worker`: reads `open K` lines from stdin, answers `opened <alive> <failed>`;
/// exits when stdin closes.
pub(crate) async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let tokens: Vec<String> = std::fs::read_to_string(&args.tokens)?.lines().map(str::to_owned).collect();
    let mut holder = Holder::new(args.addr, tokens, args.first, args.concurrency);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(count) = line.strip_prefix("open ") {
            holder.open(count.trim().parse()?).await;
            let mut out = std::io::stdout().lock();
            writeln!(out, "opened {} {}", holder.alive(), holder.failed.load(Ordering::Relaxed))?;
            out.flush()?;
        }
    }
    let _ = holder.stop.send(true);
    Ok(())
}

/// A worker process and its stdin/stdout.
struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    share: usize,
    opened: usize,
}

/// Where the sessions are held: here or in worker processes.
enum Sessions {
    Local(Holder),
    Workers(Vec<Worker>),
}

impl Sessions {
    /// Opens sessions until `target` are open in total (split evenly over workers); returns
    /// (alive, failed).
    async fn open_until(&mut self, target: usize) -> anyhow::Result<(usize, usize)> {
        match self {
            Self::Local(holder) => {
                holder.open(target.saturating_sub(holder.opened)).await;
                Ok((holder.alive(), holder.failed.load(Ordering::Relaxed)))
            }
            Self::Workers(workers) => {
                let total: usize = workers.iter().map(|w| w.share).sum();
                for w in workers.iter_mut() {
                    let want = (w.share * target).div_ceil(total.max(1)).min(w.share);
                    w.stdin.write_all(format!("open {}\n", want.saturating_sub(w.opened)).as_bytes()).await?;
                    w.stdin.flush().await?;
                    w.opened = want;
                }
                let (mut alive, mut failed) = (0, 0);
                for w in workers.iter_mut() {
                    let line = w.stdout.next_line().await?.context("worker exited")?;
                    let mut parts = line.split_whitespace().skip(1).map(str::parse::<usize>);
                    alive += parts.next().context("bad worker line")??;
                    failed += parts.next().context("bad worker line")??;
                }
                Ok((alive, failed))
            }
        }
    }

    async fn stop(self) {
        match self {
            Self::Local(holder) => {
                let _ = holder.stop.send(true);
            }
            Self::Workers(workers) => {
                for mut w in workers {
                    drop(w.stdin);
                    let _ = tokio::time::timeout(Duration::from_secs(5), w.child.wait()).await;
                    let _ = w.child.kill().await;
                }
            }
        }
    }
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let n = args.sessions;
    let limit = crate::net::fd_limit();
    if args.workers == 0 && n as u64 + 64 > limit {
        bail!("{n} sessions need more than this process's {limit} file descriptors: use --workers");
    }
    let plan = SeedPlan { bots: 1, users: u32::try_from(n)?, text_channels: 1, voice_channels: 0, messages: 0 };
    let seeding = Instant::now();
    let server = Server::start(&args.server, &plan, &[]).await?;
    let seed_secs = seeding.elapsed().as_secs_f64();
    let tokens: Vec<String> = server.seed.users.iter().map(|u| u.token.clone()).collect();
    let dir = tempfile::tempdir()?;
    let mut sessions = if args.workers == 0 {
        Sessions::Local(Holder::new(server.addr, tokens, 0, args.concurrency))
    } else {
        let per = n.div_ceil(args.workers);
        let mut workers = Vec::new();
        for (k, chunk) in tokens.chunks(per.max(1)).enumerate() {
            let path = dir.path().join(format!("tokens-{k}"));
            std::fs::write(&path, chunk.join("\n"))?;
            let mut child = tokio::process::Command::new(std::env::current_exe()?)
                .arg("gateway-idle-worker")
                .args(["--addr", &server.addr.to_string(), "--first", &(k * per).to_string()])
                .args(["--concurrency", &args.concurrency.to_string()])
                .arg("--tokens")
                .arg(&path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()?;
            let stdin = child.stdin.take().context("no stdin")?;
            let stdout = BufReader::new(child.stdout.take().context("no stdout")?).lines();
            workers.push(Worker { child, stdin, stdout, share: chunk.len(), opened: 0 });
        }
        Sessions::Workers(workers)
    };

    tokio::time::sleep(Duration::from_millis(300)).await;
    let empty = server.sample()?;
    let started = Instant::now();
    let (half_alive, _) = sessions.open_until(n / 2).await?;
    let half_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let half = server.sample()?;
    // Steady state of the first half: every session has heartbeated once (the server then
    // forgets the READY and GUILD_CREATE it kept for a RESUME).
    tokio::time::sleep(Duration::from_secs_f64(args.idle_secs)).await;
    let half_idle = server.sample()?;
    let resumed = Instant::now();
    let (alive, failed) = sessions.open_until(n).await?;
    let open_secs = half_secs + resumed.elapsed().as_secs_f64();
    let second_half = alive.saturating_sub(half_alive).max(1) as f64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let full = server.sample()?;

    // Idle: every session connected, heartbeating, nothing happening.
    let idle_start = server.sample()?;
    tokio::time::sleep(Duration::from_secs_f64(args.idle_secs)).await;
    let idle_end = server.sample()?;
    let (idle_cpu, idle_wall) = proc::delta(&idle_start, &idle_end);
    sessions.stop().await;
    let log = server.log_path();
    server.stop().await;
    if alive < n {
        eprintln!("loadgen: {alive}/{n} sessions open ({failed} failed); server log: {}", log.display());
    }

    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    // Fresh: from the first half in steady state to all open; steady: both halves heartbeated.
    let slope = (full.rss_bytes as f64 - half_idle.rss_bytes as f64) / second_half;
    let steady = (idle_end.rss_bytes as f64 - half_idle.rss_bytes as f64) / second_half;
    let mut report = Report::new("gateway-idle");
    report
        .param("sessions", n)
        .param("workers", args.workers)
        .param("intents", gateway_client::INTENTS)
        .param("fd_limit_per_process", limit)
        .figure("seed_s", seed_secs, "s")
        .figure("sessions_open", alive as f64, "")
        .figure("sessions_failed", failed as f64, "")
        .figure("rss_empty", mb(empty.rss_bytes), "MiB")
        .figure("rss_half", mb(half.rss_bytes), "MiB")
        .figure("rss_full", mb(full.rss_bytes), "MiB")
        .figure("rss_half_idle", mb(half_idle.rss_bytes), "MiB")
        .figure("rss_per_session_slope_fresh", slope / 1024.0, "KiB")
        .figure("rss_per_session_slope_steady", steady / 1024.0, "KiB")
        .figure(
            "rss_per_session_avg",
            (full.rss_bytes as f64 - empty.rss_bytes as f64) / alive.max(1) as f64 / 1024.0,
            "KiB",
        )
        .figure("rss_after_idle", mb(idle_end.rss_bytes), "MiB")
        .figure(
            "rss_per_session_after_idle",
            (idle_end.rss_bytes as f64 - empty.rss_bytes as f64) / alive.max(1) as f64 / 1024.0,
            "KiB",
        )
        .figure("identify_rate", alive as f64 / open_secs.max(1e-9), "/s")
        .figure("idle_cpu_percent", idle_cpu as f64 / (idle_wall * 1e6) * 100.0, "%")
        .figure("idle_cpu_us_per_session_s", idle_cpu as f64 / (idle_wall * alive.max(1) as f64), "µs");
    Ok(report)
}
