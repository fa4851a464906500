//! Router tests without sockets: a [`Harness`] builds the real router over a temp-dir SQLite
//! store and the local bus, seeds a guild, and sends requests with `tower::ServiceExt::oneshot`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use guildhall_bus::{Bus, Event, LocalBus, Received, Subscription};
use guildhall_core::Core;
use guildhall_core::seed::{SeedOutput, SeedRequest, seed};
use guildhall_core::token::TokenSecret;
use guildhall_http::{AppState, HttpConfig, RateLimitConfig};
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::GuildMarker;
use guildhall_model::{Id, SnowflakeGenerator, Timestamp};
use guildhall_store_sqlite::{FsBlobStore, SqliteOptions, SqliteStore};
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// A response: status, headers, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Resp {
    /// The Discord error `code`, if the body has one.
    pub fn code(&self) -> Option<u64> {
        self.body.get("code").and_then(Value::as_u64)
    }

    /// Panics with the body unless the status is `status`.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        self
    }

    /// Panics unless this is the error `code` with `status`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: u64) -> &Self {
        assert_eq!((self.status, self.code()), (status, Some(code)), "body: {}", self.body);
        assert_eq!(self.headers.get("content-type").map(|v| v.to_str().unwrap()), Some("application/json"));
        self
    }

    /// The body's `errors` leaf at `path` (e.g. `["name"]`), as its first `_errors[].code`.
    #[track_caller]
    pub fn form_error_at(&self, path: &[&str]) -> String {
        self.expect_error(400, 50035);
        let mut node = &self.body["errors"];
        for key in path {
            node = &node[*key];
        }
        node["_errors"][0]["code"].as_str().unwrap_or_else(|| panic!("no error at {path:?}: {}", self.body)).to_owned()
    }

    /// `body[key]` as a string.
    pub fn str(&self, key: &str) -> String {
        self.body[key].as_str().unwrap_or_else(|| panic!("no string {key}: {}", self.body)).to_owned()
    }
}

/// A router over a fresh store with a seeded guild.
pub struct Harness {
    pub core: Core,
    pub router: Router,
    pub events: Subscription,
    pub seed: SeedOutput,
    _dir: TempDir,
}

/// Rate limits off: these tests are about behaviour, not throttling.
pub fn no_rate_limits() -> HttpConfig {
    HttpConfig {
        rate_limits: RateLimitConfig { enabled: false, ..RateLimitConfig::default() },
        ..HttpConfig::default()
    }
}

fn wall_clock() -> Timestamp {
    let micros = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
    Timestamp::from_micros(i64::try_from(micros).unwrap())
}

impl Harness {
    /// Seeds one guild "Test Guild" with 2 text channels, 1 voice channel, 2 bots (bot 0 owns
    /// the guild) and 3 users, all members.
    pub async fn new() -> Self {
        Self::with_config(no_rate_limits()).await
    }

    pub async fn with_config(config: HttpConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("test.db"), SqliteOptions::default()).await.unwrap();
        let store: Arc<dyn guildhall_store::Store> = Arc::new(store);
        let bus = Arc::new(LocalBus::default());
        let events = bus.subscribe();
        let ids = Arc::new(SnowflakeGenerator::new(0, 0));
        let secret = TokenSecret::generate();
        let blobs = Arc::new(FsBlobStore::open(dir.path().join("attachments")).unwrap());
        let core = Core::new(store.clone(), blobs, bus, ids.clone(), secret.clone(), Arc::new(wall_clock));
        let request =
            SeedRequest { guild: "Test Guild".into(), text_channels: 2, voice_channels: 1, bots: 2, users: 3 };
        let seed = seed(store.as_ref(), &ids, &secret, wall_clock(), &request).await.unwrap();
        let router = guildhall_http::router(AppState::new(core.clone(), config));
        Self { core, router, events, seed, _dir: dir }
    }

    /// `Authorization` of the guild owner (bot 0).
    pub fn owner(&self) -> String {
        format!("Bot {}", self.seed.bots[0].token)
    }

    /// `Authorization` of bot `n`.
    pub fn bot(&self, n: usize) -> String {
        format!("Bot {}", self.seed.bots[n].token)
    }

    /// `Authorization` of user `n` (bare token).
    pub fn user(&self, n: usize) -> String {
        self.seed.users[n].token.clone()
    }

    pub fn guild_id(&self) -> Id<GuildMarker> {
        self.seed.guild.id
    }

    /// The first text channel (`general`).
    pub fn general(&self) -> String {
        self.seed.text_channels[0].id.to_string()
    }

    /// Sends one request.
    pub async fn call(&self, method: &str, path: &str, auth: Option<&str>, body: Option<Value>) -> Resp {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            builder = builder.header("authorization", auth);
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Resp {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        let body = if raw.is_empty() { Value::Null } else { serde_json::from_slice(&raw).unwrap_or(Value::Null) };
        Resp { status, headers, body, raw }
    }

    pub async fn get(&self, path: &str, auth: &str) -> Resp {
        self.call("GET", path, Some(auth), None).await
    }

    pub async fn post(&self, path: &str, auth: &str, body: Value) -> Resp {
        self.call("POST", path, Some(auth), Some(body)).await
    }

    pub async fn patch(&self, path: &str, auth: &str, body: Value) -> Resp {
        self.call("PATCH", path, Some(auth), Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: &str, body: Option<Value>) -> Resp {
        self.call("PUT", path, Some(auth), body).await
    }

    pub async fn delete(&self, path: &str, auth: &str) -> Resp {
        self.call("DELETE", path, Some(auth), None).await
    }

    /// Every event published since the last drain.
    pub fn drain_events(&mut self) -> Vec<Arc<Event>> {
        let mut out = Vec::new();
        while let Some(received) = self.events.try_recv() {
            if let Received::Event(e) = received {
                out.push(e);
            }
        }
        out
    }

    /// Names of the events published since the last drain.
    pub fn event_names(&mut self) -> Vec<&'static str> {
        self.drain_events().iter().map(|e| e.name).collect()
    }

    /// Sends a multipart/form-data body.
    pub async fn send_form(&self, method: &str, path: &str, auth: Option<&str>, form: Form) -> Resp {
        let mut builder = Request::builder().method(method).uri(path).header("content-type", form.content_type());
        if let Some(auth) = auth {
            builder = builder.header("authorization", auth);
        }
        self.send(builder.body(Body::from(form.finish())).unwrap()).await
    }

    /// Follows an attachment link (an absolute URL on the default public base) through the
    /// router, without authentication, as a client downloading it would.
    pub async fn download(&self, url: &str) -> Resp {
        let path = url.strip_prefix("http://127.0.0.1:8080").unwrap_or_else(|| panic!("not a local link: {url}"));
        self.send(Request::builder().uri(path).body(Body::empty()).unwrap()).await
    }

    /// Sets the @everyone role's permissions directly in the store (test setup).
    pub async fn set_everyone(&self, permissions: Permissions) {
        let gid = self.guild_id();
        let mut role: Role = self.core.store().role(gid, gid.cast()).await.unwrap().unwrap();
        role.permissions = permissions;
        self.core.store().update_role(gid, &role).await.unwrap();
    }
}

/// A multipart/form-data body built by hand, part by part, as Discord libraries send it.
pub struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    pub fn new() -> Self {
        Self { boundary: format!("----guildhall{:016x}", rand::random::<u64>()), body: Vec::new() }
    }

    fn part(mut self, disposition: &str, content_type: Option<&str>, data: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!("--{}\r\nContent-Disposition: form-data; {disposition}\r\n", self.boundary).as_bytes(),
        );
        if let Some(content_type) = content_type {
            self.body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The `payload_json` part.
    pub fn json(self, payload: &Value) -> Self {
        let text = payload.to_string();
        self.part("name=\"payload_json\"", Some("application/json"), text.as_bytes())
    }

    /// A plain field.
    pub fn field(self, name: &str, value: &str) -> Self {
        self.part(&format!("name=\"{name}\""), None, value.as_bytes())
    }

    /// A file part.
    pub fn file(self, name: &str, filename: &str, content_type: Option<&str>, data: &[u8]) -> Self {
        self.part(&format!("name=\"{name}\"; filename=\"{filename}\""), content_type, data)
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        self.body
    }
}
