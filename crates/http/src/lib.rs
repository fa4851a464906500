//! guildhall's REST API v10 (protocol.md §3): [`router`] builds the axum [`Router`] over an
//! [`AppState`], one module per resource under [`routes`], served under `/api/v10` and
//! `/api/v9`.
//!
//! Handlers are thin: they extract the actor ([`extract::Auth`]), the body ([`extract::Body`])
//! and the path, call one operation of [`guildhall_core::Core`] (which validates, authorizes,
//! writes and publishes), and render its result. Every failure leaves as Discord's error body
//! ([`error::ApiError`]); JSON responses carry `Content-Type: application/json` exactly and empty
//! ones are 204.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use guildhall_core::{Code, Core};

pub mod error;
pub mod extract;
pub mod multipart;
pub mod ratelimit;
pub mod routes;

pub use ratelimit::{Limit, RateLimitConfig, RateLimiter};

/// HTTP-level settings.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The gateway URL `GET /gateway` and `/gateway/bot` report (no query string).
    pub gateway_url: String,
    /// This server as clients reach it (`http://host:port`): the base of attachment links.
    pub public_url: String,
    /// Largest JSON request body accepted (413 / 40005 above it). Message routes take
    /// multipart bodies up to Discord's 25 MiB upload limit.
    pub max_body_bytes: usize,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            gateway_url: "ws://127.0.0.1:8080".to_owned(),
            public_url: guildhall_core::ops::DEFAULT_PUBLIC_URL.to_owned(),
            max_body_bytes: 1024 * 1024,
            rate_limits: RateLimitConfig::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The domain.
    pub core: Core,
    /// Settings.
    pub config: Arc<HttpConfig>,
    /// Rate-limit counters.
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    /// State over `core` with `config`; the core's attachment links point at
    /// `config.public_url`.
    pub fn new(core: Core, config: HttpConfig) -> Self {
        let core = core.with_public_url(&config.public_url);
        Self { core, config: Arc::new(config), limiter: Arc::new(RateLimiter::default()) }
    }
}

/// The REST API: `/api/v10/...` and `/api/v9/...`, and attachment downloads under
/// `/attachments/...` (outside the API, without authentication or rate limits, like Discord's
/// CDN).
pub fn router(state: AppState) -> Router {
    let api = routes::api()
        .method_not_allowed_fallback(|| async { error::ApiError::from(Code::MethodNotAllowed) })
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::middleware));
    Router::new()
        .nest("/api/v10", api.clone())
        .nest("/api/v9", api)
        .merge(routes::attachments::routes())
        .fallback(|| async { error::ApiError::from(Code::NotFound) })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
}
