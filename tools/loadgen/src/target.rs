//! The system under test: a real `guildhall serve` child process on loopback, over a fresh data
//! directory filled by `guildhall seed`, with REST rate limits off (a load test is not abuse).

use crate::net::{free_tcp_port, free_udp_port};
use crate::proc::{self, ProcSample};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Where the `guildhall` binary is and how to seed it; shared by every mode.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct ServerArgs {
    /// The guildhall binary (default: `guildhall` beside this `loadgen`, i.e. the same build profile).
    #[arg(long, env = "LOADGEN_GUILDHALL")]
    pub(crate) guildhall: Option<PathBuf>,
    /// Server log filter (its log goes to `server.log` in the temporary data directory).
    #[arg(long, default_value = "warn")]
    pub(crate) server_log: String,
}

/// What to seed before the server starts.
#[derive(Clone, Debug)]
pub(crate) struct SeedPlan {
    pub(crate) bots: u32,
    pub(crate) users: u32,
    pub(crate) text_channels: u32,
    pub(crate) voice_channels: u32,
    /// Messages bulk-written into the first text channel (`guildhall seed --messages`).
    pub(crate) messages: u64,
}

impl Default for SeedPlan {
    fn default() -> Self {
        Self { bots: 1, users: 0, text_channels: 1, voice_channels: 0, messages: 0 }
    }
}

/// `guildhall seed`'s output (the parts the modes use).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Seed {
    pub(crate) guild: SeedGuild,
    pub(crate) text_channels: Vec<SeedChannel>,
    pub(crate) voice_channels: Vec<SeedChannel>,
    pub(crate) bots: Vec<SeedAccount>,
    pub(crate) users: Vec<SeedAccount>,
    pub(crate) messages: Option<SeedMessages>,
}

/// The bulk-seeded messages (ids as decimal strings, oldest and newest).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct SeedMessages {
    pub(crate) channel_id: String,
    pub(crate) first_id: String,
    pub(crate) last_id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct SeedGuild {
    pub(crate) id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct SeedChannel {
    pub(crate) id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct SeedAccount {
    pub(crate) id: String,
    pub(crate) token: String,
}

/// A running server. Killed when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    pub(crate) pid: u32,
    /// `http://127.0.0.1:PORT` (REST under `/api/v10`).
    pub(crate) http: String,
    /// The plain listener (REST and gateway).
    pub(crate) addr: SocketAddr,
    /// The generated CA that signed the TLS listener's certificate.
    pub(crate) ca_path: PathBuf,
    pub(crate) seed: Seed,
    pub(crate) data_dir: tempfile::TempDir,
}

impl Server {
    /// Seeds a fresh data directory, starts `guildhall serve` and waits for `/healthz`.
    pub(crate) async fn start(
        args: &ServerArgs,
        plan: &SeedPlan,
        extra_env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let bin = match &args.guildhall {
            Some(p) => p.clone(),
            None => std::env::current_exe()?.with_file_name("guildhall"),
        };
        if !bin.exists() {
            bail!("{} not found: build it (cargo build --release --bin guildhall) or pass --guildhall", bin.display());
        }
        let data_dir = tempfile::Builder::new().prefix("loadgen-").tempdir()?;
        let seed_out = Command::new(&bin)
            .arg("seed")
            .args(["--guild", "loadgen"])
            .args(["--bots", &plan.bots.to_string(), "--users", &plan.users.to_string()])
            .args(["--text-channels", &plan.text_channels.to_string()])
            .args(["--voice-channels", &plan.voice_channels.to_string()])
            .args(["--messages", &plan.messages.to_string()])
            .env("GUILDHALL_DATA_DIR", data_dir.path())
            .env("GUILDHALL_LOG", "warn")
            .stderr(Stdio::inherit())
            .output()
            .await
            .context("running guildhall seed")?;
        if !seed_out.status.success() {
            bail!("guildhall seed failed: {}", seed_out.status);
        }
        let seed: Seed = serde_json::from_slice(&seed_out.stdout).context("parsing guildhall seed output")?;

        let addr = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
        let tls_addr = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
        let voice_udp = SocketAddr::from(([127, 0, 0, 1], free_udp_port()?));
        let log = std::fs::File::create(data_dir.path().join("server.log"))?;
        let mut command = Command::new(&bin);
        command
            .arg("serve")
            .env("GUILDHALL_DATA_DIR", data_dir.path())
            .env("GUILDHALL_LISTEN", addr.to_string())
            .env("GUILDHALL_TLS_LISTEN", tls_addr.to_string())
            .env("GUILDHALL_VOICE_UDP", voice_udp.to_string())
            .env("GUILDHALL_RATE_LIMITS", "off")
            .env("GUILDHALL_LOG", &args.server_log)
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command.spawn().context("starting guildhall serve")?;
        let pid = child.id().context("guildhall exited at once")?;
        let server = Self {
            child,
            pid,
            http: format!("http://{addr}"),
            addr,
            ca_path: data_dir.path().join("tls").join("ca.pem"),
            seed,
            data_dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.http)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("guildhall did not answer /healthz in 30 s; see {}", self.log_path().display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `ws://127.0.0.1:PORT/gateway?v=10&encoding=json` plus `extra` query (e.g. `&compress=zstd-stream`).
    pub(crate) fn gateway_url(&self, extra: &str) -> String {
        format!("ws://{}/gateway?v=10&encoding=json{extra}", self.addr)
    }

    /// The server's CPU time and RSS now.
    pub(crate) fn sample(&self) -> anyhow::Result<ProcSample> {
        proc::sample(self.pid)
    }

    pub(crate) fn log_path(&self) -> PathBuf {
        self.data_dir.path().join("server.log")
    }

    /// SIGKILL and reap (the data directory goes when `self` drops).
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A child `loadgen baseline-*` process (same binary), killed when dropped.
#[derive(Debug)]
pub(crate) struct Baseline {
    /// Held only so the child is killed when the baseline is dropped.
    _child: Child,
    pub(crate) pid: u32,
}

impl Baseline {
    /// Starts `loadgen <args…>` and waits until it prints its first line (its address).
    pub(crate) async fn start(args: &[String]) -> anyhow::Result<(Self, String)> {
        use tokio::io::AsyncBufReadExt;
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().context("baseline exited at once")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .context("baseline did not start in 10 s")??
            .context("baseline exited before printing its address")?;
        Ok((Self { _child: child, pid }, first))
    }

    pub(crate) fn sample(&self) -> anyhow::Result<ProcSample> {
        proc::sample(self.pid)
    }
}
