//! The `guildhall` server: configuration, wiring and the HTTP listener.
//!
//! `main.rs` is a thin CLI over this library so tests can start the same server in-process:
//! [`open`] builds the [`Services`] for a [`Config`], and [`run`] serves them on an
//! already-bound listener until the `shutdown` future completes (mini-redis style), draining
//! in-flight requests before it returns.

use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use guildhall_bus::{Bus, LocalBus};
use guildhall_core::Core;
use guildhall_core::token::TokenSecret;
use guildhall_gateway::Hub;
use guildhall_http::{AppState, HttpConfig};
use guildhall_model::{SnowflakeGenerator, Timestamp};
use guildhall_store::{BlobStore, Store};
use guildhall_store_sqlite::{FsBlobStore, SqliteOptions, SqliteStore};
use tokio::net::TcpListener;

pub mod certs;
pub mod config;
pub mod secret;

pub use config::{Config, TlsConfig};
pub use guildhall_core::seed;

/// Shared state handed to every request handler.
#[derive(Clone)]
pub struct Services {
    /// The store backend.
    pub store: Arc<dyn Store>,
    /// Snowflake generator for this process.
    pub ids: Arc<SnowflakeGenerator>,
    /// Installation secret (token HMACs).
    pub secret: TokenSecret,
    /// The domain service every transport calls.
    pub core: Core,
    /// The configuration the services were opened with: REST rate limits, test hooks and the
    /// gateway settings are read from it when the routes are built and the listener is bound.
    pub config: Arc<Config>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The data directory or secret could not be prepared.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] guildhall_store::StoreError),
    /// A setting is invalid.
    #[error("config: {0}")]
    Config(config::ConfigError),
    /// The TLS certificate could not be generated.
    #[error("tls: {0}")]
    Certificate(#[from] certs::CertError),
}

/// The wall clock as a [`Timestamp`]; the one place the server reads the time of day.
pub fn now() -> Timestamp {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
    Timestamp::from_micros(i64::try_from(micros).unwrap_or(i64::MAX))
}

/// Which kind of process opens the data directory. Each gets its own snowflake process bits, so
/// `guildhall seed` run beside a live `guildhall serve` on the same data can never mint an id the
/// server mints in the same millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessRole {
    /// `guildhall serve`.
    Server,
    /// A one-shot command such as `guildhall seed`.
    Tool,
}

impl ProcessRole {
    const fn snowflake_process(self) -> u8 {
        match self {
            Self::Server => 0,
            Self::Tool => 1,
        }
    }
}

/// Opens the data directory (creating it), the embedded store and the attachment files
/// (`<data_dir>/attachments/`).
pub async fn open(config: &Config, role: ProcessRole) -> Result<Services, StartError> {
    let data_dir = &config.data_dir;
    let dir_err = |source| StartError::DataDir { path: data_dir.clone(), source };
    std::fs::create_dir_all(data_dir).map_err(dir_err)?;
    let secret = secret::load_or_create(data_dir).map_err(dir_err)?;
    let durability = match config.durability {
        config::Durability::Normal => guildhall_store_sqlite::Durability::Normal,
        config::Durability::Full => guildhall_store_sqlite::Durability::Full,
    };
    let options = SqliteOptions { durability, ..SqliteOptions::default() };
    let store = SqliteStore::open(config.database_path(), options).await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::open(data_dir.join("attachments"))?);
    let ids = Arc::new(SnowflakeGenerator::new(0, role.snowflake_process()));
    let bus: Arc<dyn Bus> = Arc::new(LocalBus::default());
    let core = Core::new(store.clone(), blobs, bus, ids.clone(), secret.clone(), Arc::new(now));
    Ok(Services { store, ids, secret, core, config: Arc::new(config.clone()) })
}

/// The HTTP routes: the REST API, the gateway (`/gateway`), attachment downloads, `/healthz`,
/// the web client (`/` and its pages, `/assets/…`), and with `test_hooks` the test-only routes. `gateway_url` is what `GET /gateway` reports,
/// `public_url` the base of attachment links.
pub fn router(services: Services, hub: Arc<Hub>, gateway_url: String, public_url: String) -> Router {
    let config = HttpConfig {
        gateway_url,
        public_url,
        rate_limits: services.config.rate_limits.clone(),
        ..HttpConfig::default()
    };
    let mut app = guildhall_http::router(AppState::new(services.core, config))
        .merge(guildhall_gateway::routes(hub.clone()))
        .merge(guildhall_web::routes())
        .route("/healthz", get(healthz));
    if services.config.test_hooks {
        app = app.merge(Router::new().route("/_guildhall/test/disconnect", post(test_disconnect)).with_state(hub));
    }
    app
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[derive(serde::Deserialize)]
struct DisconnectRequest {
    user_id: guildhall_model::Id<guildhall_model::id::marker::UserMarker>,
}

/// Test hook: closes every gateway connection of a user with 4000 (sessions stay resumable).
async fn test_disconnect(
    State(hub): State<Arc<Hub>>,
    Json(request): Json<DisconnectRequest>,
) -> Json<serde_json::Value> {
    let closed = hub.disconnect_user(request.user_id, guildhall_gateway::Close::FORCED);
    Json(serde_json::json!({ "closed": closed }))
}

/// A bound TLS listener with its certificate, ready for [`serve`].
pub struct TlsListener {
    listener: std::net::TcpListener,
    config: axum_server::tls_rustls::RustlsConfig,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener").field("listener", &self.listener).finish_non_exhaustive()
    }
}

impl TlsListener {
    /// Reads the PEM files and binds the address.
    pub async fn bind(tls: &config::TlsConfig) -> std::io::Result<Self> {
        let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key).await?;
        let listener = std::net::TcpListener::bind(tls.listen)?;
        Self::from_std(listener, config)
    }

    /// An already-bound listener (tests bind port 0) with PEM certificate chain and key bytes.
    pub async fn from_pem(listener: std::net::TcpListener, cert: Vec<u8>, key: Vec<u8>) -> std::io::Result<Self> {
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(cert, key).await?;
        Self::from_std(listener, config)
    }

    fn from_std(
        listener: std::net::TcpListener,
        config: axum_server::tls_rustls::RustlsConfig,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self { listener, config })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// Binds the voice server's UDP socket, starts it and registers it with core. Its endpoint is
/// `<voice host>:<tls_port>/voice`.
fn start_voice(services: &Services, tls_port: u16) -> std::io::Result<guildhall_voice::VoiceNode> {
    let config = &services.config;
    let invalid = |e: config::ConfigError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string());
    let mut voice = guildhall_voice::VoiceConfig::new(format!("{}:{tls_port}/voice", config.voice_host()));
    voice.modes = config.voice_modes().map_err(invalid)?;
    voice.public_ip = config.voice.public_ip;
    if let Some(region) = &config.voice.region {
        voice.region.clone_from(region);
    }
    let socket = std::net::UdpSocket::bind(config.voice_udp())?;
    let node = guildhall_voice::VoiceNode::start(voice, socket)?;
    tracing::info!(udp = %node.media_addr(), endpoint = %guildhall_core::VoiceServer::endpoint(&node), "voice server");
    services.core.voice_servers().register(Arc::new(node.clone()));
    Ok(node)
}

/// The TLS listener's settings: the configured certificate, or one generated into the data
/// directory (its CA path is logged so users and tests can trust it).
pub fn tls_settings(config: &Config) -> Result<TlsConfig, StartError> {
    if let Some(tls) = config.tls().map_err(StartError::Config)? {
        return Ok(tls);
    }
    let generated = certs::ensure(&config.data_dir, &config.tls_hosts())?;
    tracing::info!(
        ca = %generated.ca.display(),
        "TLS certificate generated by a local CA; trust the CA (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) to connect with wss://"
    );
    Ok(TlsConfig { listen: config.tls_listen(), cert: generated.cert, key: generated.key })
}

/// How long shutdown waits for gateway clients to leave after op 7 RECONNECT.
const GATEWAY_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Serves `services` on `listener` until `shutdown` resolves (see [`serve`]; no TLS).
pub async fn run(
    listener: TcpListener,
    services: Services,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, None, services, shutdown).await
}

/// Serves `services` on `listener`, and on `tls` too when given (the same routes: REST, the
/// gateway as `wss://`), until `shutdown` resolves; then drains in-flight requests and tells
/// every gateway connection to reconnect (op 7) before returning.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsListener>,
    services: Services,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let (gateway_url, public_url) = (format!("ws://{addr}/gateway"), format!("http://{addr}"));
    let hub = Hub::new(services.core.clone(), services.config.gateway_config(gateway_url.clone()));
    hub.start();
    // Clients open the voice WebSocket as wss:// only, so the voice server needs the TLS
    // listener: its endpoint is that listener's port.
    let voice = match &tls {
        Some(tls) => Some(start_voice(&services, tls.local_addr()?.port())?),
        None => None,
    };
    let mut router = router(services, hub.clone(), gateway_url, public_url);
    if let Some(voice) = &voice {
        router = router.merge(guildhall_voice::routes(voice));
    }

    let handle = axum_server::Handle::new();
    let tls_task = match tls {
        Some(tls) => {
            tracing::info!(addr = %tls.local_addr()?, "listening (TLS)");
            // Signalling is many small writes that each wait for an answer: without
            // TCP_NODELAY, Nagle's algorithm and delayed ACKs add 40 ms per round trip.
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls.config)
                .acceptor(axum_server::accept::NoDelayAcceptor::new());
            let server = axum_server::from_tcp(tls.listener).acceptor(acceptor).handle(handle.clone());
            let app = router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
            Some(tokio::spawn(async move { server.serve(app).await }))
        }
        None => None,
    };

    let on_shutdown = hub.clone();
    let tls_handle = handle.clone();
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::trace!(%error, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            on_shutdown.shutdown();
            if let Some(voice) = voice {
                voice.shutdown();
            }
            tls_handle.graceful_shutdown(Some(GATEWAY_DRAIN));
        })
        .await?;
    if let Some(task) = tls_task {
        task.await.map_err(std::io::Error::other)??;
    }
    let deadline = tokio::time::Instant::now() + GATEWAY_DRAIN;
    while hub.connection_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tracing::info!("stopped");
    Ok(())
}
