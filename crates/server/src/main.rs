//! The `guildhall` command line: `serve` and `seed`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use guildhall_server::config::{Config, LogFormat, Overrides};
use guildhall_server::seed::{self, SeedRequest};

#[derive(Parser)]
#[command(name = "guildhall", version, about = "A self-hostable server that speaks Discord's protocols")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded store in ./guildhall-data, http://127.0.0.1:8080 by default).
    Serve(Common),
    /// Create a guild with channels and bot/user accounts; prints their ids and tokens as JSON.
    Seed {
        #[command(flatten)]
        common: Common,
        /// Guild name.
        #[arg(long)]
        guild: String,
        /// Number of text channels.
        #[arg(long, default_value_t = 1)]
        text_channels: u32,
        /// Number of voice channels.
        #[arg(long, default_value_t = 1)]
        voice_channels: u32,
        /// Number of bot accounts (the first owns the guild).
        #[arg(long, default_value_t = 1)]
        bots: u32,
        /// Number of user accounts.
        #[arg(long, default_value_t = 0)]
        users: u32,
        /// Messages written into the first text channel by the owner (bulk, for load tests).
        #[arg(long, default_value_t = 0)]
        messages: u64,
    },
}

/// Settings shared by every command; each overrides the config file and `GUILDHALL_*` env.
#[derive(Args)]
struct Common {
    /// Config file (TOML); default `$GUILDHALL_CONFIG`, else `./guildhall.toml` if present.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Data directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Log filter, e.g. `info` or `guildhall=debug`.
    #[arg(long)]
    log: Option<String>,
    /// Log format: text or json.
    #[arg(long)]
    log_format: Option<String>,
    /// Store durability: normal (survives process crashes) or full (fsync every commit).
    #[arg(long)]
    durability: Option<String>,
}

impl Common {
    fn load(&self) -> Result<Config, Box<dyn std::error::Error>> {
        let log_format = self.log_format.as_deref().map(str::parse::<LogFormat>).transpose()?;
        let durability = self.durability.as_deref().map(str::parse).transpose()?;
        let flags = Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            log: self.log.clone(),
            log_format,
            durability,
            rate_limits: None,
            test_hooks: None,
            tls: None,
            gateway: None,
            voice: None,
        };
        let env: HashMap<String, String> = std::env::vars().collect();
        Ok(Config::load(self.config.as_deref(), &env, flags)?)
    }
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal: escape codes in a pipe or a log file break grep and parsers.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Every gateway session is a socket: the soft open-file limit (often 1024) goes up to the hard
/// one, which the operator controls. Failure only means fewer concurrent sessions.
fn raise_fd_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%error, "cannot raise the open-file limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    tracing::info!(open_files = ?current, "open-file limit (bounds concurrent gateway sessions)");
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    raise_fd_limit();
    config.voice_modes()?;
    let services = guildhall_server::open(&config, guildhall_server::ProcessRole::Server).await?;
    let tls = guildhall_server::tls_settings(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let tls = guildhall_server::TlsListener::bind(&tls).await?;
    tracing::info!(data_dir = %config.data_dir.display(), "guildhall {} starting", env!("CARGO_PKG_VERSION"));
    guildhall_server::serve(listener, Some(tls), services, shutdown_signal()).await?;
    Ok(())
}

async fn seed_command(config: Config, request: SeedRequest, messages: u64) -> Result<(), Box<dyn std::error::Error>> {
    let services = guildhall_server::open(&config, guildhall_server::ProcessRole::Tool).await?;
    let store = services.store.as_ref();
    let now = guildhall_server::now();
    let mut output = seed::seed(store, &services.ids, &services.secret, now, &request).await?;
    if let Some(channel) = output.text_channels.first() {
        let (guild, channel, owner) = (output.guild.id, channel.id, output.guild.owner_id);
        output.messages = seed::seed_messages(store, &services.ids, now, guild, channel, owner, messages).await?;
    }
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        match cli.command {
            Command::Serve(common) => {
                let config = common.load()?;
                init_tracing(&config);
                runtime.block_on(serve(config))
            }
            Command::Seed { common, guild, text_channels, voice_channels, bots, users, messages } => {
                let config = common.load()?;
                init_tracing(&config);
                let request = SeedRequest { guild, text_channels, voice_channels, bots, users };
                runtime.block_on(seed_command(config, request, messages))
            }
        }
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guildhall: {e}");
            ExitCode::FAILURE
        }
    }
}
