//! Test support: a full guildhall server on `127.0.0.1:0` over a temporary data directory.
//!
//! ```no_run
//! # async fn demo() {
//! let server = guildhall_testkit::TestServer::start().await;
//! let url = format!("{}/healthz", server.base_url());
//! # let _ = url;
//! server.stop().await;
//! # }
//! ```

#![allow(clippy::expect_used)] // test support: failing loudly is the point

pub mod gateway;
pub mod voice;

use std::net::SocketAddr;

use guildhall_server::seed::{SeedOutput, SeedRequest};
use guildhall_server::{Config, Services};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; stop it with [`TestServer::stop`] (dropping it also stops it).
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    /// The TLS listener (same routes plus the voice WebSocket), with a generated certificate.
    tls_addr: SocketAddr,
    ca: std::path::PathBuf,
    services: Services,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    // Kept last so the store is closed before the directory goes away.
    data_dir: TempDir,
}

impl TestServer {
    /// Starts a server with a fresh data directory.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server with a fresh data directory and the configuration `configure` leaves
    /// (e.g. `config.test_hooks = true`, `config.rate_limits.enabled = false`).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let mut config = Config { data_dir: data_dir.path().to_path_buf(), ..Config::default() };
        // Every port is picked by the kernel, so tests run side by side.
        config.voice.udp = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        configure(&mut config);
        config.data_dir = data_dir.path().to_path_buf();
        let services =
            guildhall_server::open(&config, guildhall_server::ProcessRole::Server).await.expect("open services");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let tls = guildhall_server::tls_settings(&config).expect("tls certificate");
        let read = |path: &std::path::Path| std::fs::read(path).expect("read generated pem");
        let tls_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback (tls)");
        let tls_listener = guildhall_server::TlsListener::from_pem(tls_listener, read(&tls.cert), read(&tls.key))
            .await
            .expect("tls listener");
        let tls_addr = tls_listener.local_addr().expect("local addr (tls)");
        let ca = config.data_dir.join("tls").join("ca.pem");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(guildhall_server::serve(listener, Some(tls_listener), services.clone(), async {
            let _ = rx.await;
        }));
        Self { addr, tls_addr, ca, services, shutdown: Some(tx), task: Some(task), data_dir }
    }

    /// The TLS listener's address (`wss://` gateway and the voice WebSocket).
    pub fn tls_addr(&self) -> SocketAddr {
        self.tls_addr
    }

    /// The generated CA certificate (PEM) that signed the TLS listener's certificate.
    pub fn ca_path(&self) -> &std::path::Path {
        &self.ca
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/gateway`, what `GET /gateway/bot` reports.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's services (store, id generator, secret).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Seeds a guild as `guildhall seed` would.
    pub async fn seed(&self, request: &SeedRequest) -> SeedOutput {
        guildhall_server::seed::seed(
            self.services.store.as_ref(),
            &self.services.ids,
            &self.services.secret,
            guildhall_server::now(),
            request,
        )
        .await
        .expect("seed")
    }

    /// Requests a graceful shutdown and waits for the server to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A small seed: one guild, one text and one voice channel, two bots, one user.
pub fn small_seed() -> SeedRequest {
    SeedRequest { guild: "Test Guild".into(), text_channels: 1, voice_channels: 1, bots: 2, users: 1 }
}
