//! Rate limits per token and route bucket, plus a global per-token limit (protocol.md §3.3).
//!
//! A bucket is a route template (with method) and its top-level resource (`channel_id`,
//! `guild_id`, `webhook_id`): two channels never share a message-create bucket, as on Discord.
//! Windows are fixed: `limit` requests per `window`, counted from the first request. Every
//! limited route answers with `X-RateLimit-*` headers; a 429 carries Discord's body, its
//! `Retry-After`, the scope, and a `Via` header (discord.py treats a 429 without `Via` as a
//! Cloudflare ban and gives up instead of waiting).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::AppState;

/// `limit` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

impl Limit {
    /// `limit` requests per `window_ms` milliseconds.
    pub const fn per_ms(limit: u32, window_ms: u64) -> Self {
        Self { limit, window: Duration::from_millis(window_ms) }
    }
}

/// Every limit the server applies; defaults are close to Discord's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Off: no limits and no headers (load tests, randomized tests).
    pub enabled: bool,
    /// Global limit per token (per client address without a token).
    pub global: Limit,
    /// `POST /channels/{id}/messages` (and webhook execution) per channel.
    pub message_create: Limit,
    /// Reaction add/remove of one's own reaction.
    pub reactions: Limit,
    /// Bulk delete.
    pub bulk_delete: Limit,
    /// Login and registration (per client address).
    pub auth: Limit,
    /// Every other route.
    pub default: Limit,
    /// Responses with 401, 403 or 429 per client address before the address is refused
    /// outright (Discord: 10,000 per 10 minutes, then a temporary ban).
    pub invalid_requests: Limit,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            global: Limit::per_ms(50, 1000),
            message_create: Limit::per_ms(5, 5000),
            reactions: Limit::per_ms(1, 250),
            bulk_delete: Limit::per_ms(1, 1000),
            auth: Limit::per_ms(5, 60_000),
            default: Limit::per_ms(50, 10_000),
            invalid_requests: Limit::per_ms(10_000, 600_000),
        }
    }
}

impl RateLimitConfig {
    /// The limit and bucket name of a route template (version prefix already removed).
    pub fn route(&self, method: &Method, template: &str) -> (Limit, &'static str) {
        let is = |m: Method| *method == m;
        if template.ends_with("/reactions/{emoji}/@me") {
            (self.reactions, "reactions")
        } else if template == "/channels/{channel_id}/messages" && is(Method::POST) {
            (self.message_create, "message-create")
        } else if template == "/webhooks/{webhook_id}/{token}" && is(Method::POST) {
            (self.message_create, "webhook-execute")
        } else if template.ends_with("/messages/bulk-delete") {
            (self.bulk_delete, "bulk-delete")
        } else if template.starts_with("/auth/") {
            (self.auth, "auth")
        } else {
            (self.default, "")
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Window {
    count: u32,
    /// When this window is over; after that the entry can be dropped.
    ends: Instant,
}

/// What the limiter decided for one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Go ahead; `remaining` requests are left in a window that resets after `reset_after`.
    Allowed { remaining: u32, reset_after: Duration },
    /// Wait `retry_after`.
    Limited { retry_after: Duration },
}

/// Fixed-window counters keyed by (identity, bucket).
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<Windows>,
}

#[derive(Debug)]
struct Windows {
    map: HashMap<u64, Window>,
    /// The size at which finished windows are swept next. It doubles when a sweep frees little,
    /// so many live windows cost an occasional sweep, never one per request.
    sweep_at: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self { state: Mutex::new(Windows { map: HashMap::new(), sweep_at: SWEEP_AT }) }
    }
}

/// Windows kept before finished ones are swept.
const SWEEP_AT: usize = 100_000;

impl RateLimiter {
    /// Counts one request against `key` at `now`; a refused request does not count.
    pub fn check(&self, key: u64, limit: Limit, now: Instant) -> Decision {
        let Ok(mut state) = self.state.lock() else {
            // A poisoned lock means a panic elsewhere; failing open keeps the API up.
            return Decision::Allowed { remaining: limit.limit, reset_after: limit.window };
        };
        if state.map.len() >= state.sweep_at {
            state.map.retain(|_, w| w.ends > now);
            state.sweep_at = (state.map.len() * 2).max(SWEEP_AT);
        }
        let fresh = Window { count: 0, ends: now + limit.window };
        let window = state.map.entry(key).or_insert(fresh);
        if now >= window.ends {
            *window = fresh;
        }
        let reset_after = window.ends.saturating_duration_since(now);
        if window.count >= limit.limit {
            return Decision::Limited { retry_after: reset_after };
        }
        window.count += 1;
        Decision::Allowed { remaining: limit.limit - window.count, reset_after }
    }

    /// How long `key` stays refused, if its window is full; counts nothing.
    pub fn blocked(&self, key: u64, limit: Limit, now: Instant) -> Option<Duration> {
        let state = self.state.lock().ok()?;
        let window = state.map.get(&key)?;
        (now < window.ends && window.count >= limit.limit).then(|| window.ends.saturating_duration_since(now))
    }

    /// Counts one event against `key` without refusing anything.
    pub fn record(&self, key: u64, limit: Limit, now: Instant) {
        let _ = self.check(key, limit, now);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map(|s| s.map.len()).unwrap_or(0)
    }
}

fn key_of(parts: &[&str]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// An opaque bucket id, independent of the resource id (as Discord's hashes are).
fn bucket_id(method: &Method, template: &str) -> String {
    let digest = Sha256::digest(format!("{method} {template}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

fn limited_response(retry_after: Duration, global: bool, headers: HeaderMap) -> Response {
    let body = serde_json::json!({
        "message": "You are being rate limited.",
        "retry_after": (retry_after.as_secs_f64() * 1000.0).ceil() / 1000.0,
        "global": global,
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let h = response.headers_mut();
    h.extend(headers);
    h.insert("retry-after", header(&retry_after.as_secs_f64().ceil().max(1.0).to_string()));
    h.insert("via", HeaderValue::from_static("1.1 guildhall"));
    h.insert("x-ratelimit-scope", HeaderValue::from_static(if global { "global" } else { "user" }));
    if global {
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
    }
    response
}

/// The middleware: runs after routing, so the matched template and path parameters are known.
///
/// Around the per-route and global limits sits Discord's invalid-request limit: an address
/// whose requests keep failing with 401/403/429 is refused for the rest of the window (scope
/// `shared`), so guessing tokens or hammering a forbidden route gets nowhere.
pub(crate) async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let config = &state.config.rate_limits;
    if !config.enabled {
        return next.run(request).await;
    }
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let invalid_key = key_of(&["invalid", address.as_deref().unwrap_or("anonymous")]);
    if let Some(retry_after) = state.limiter.blocked(invalid_key, config.invalid_requests, Instant::now()) {
        let mut response = limited_response(retry_after, false, HeaderMap::new());
        response.headers_mut().insert("x-ratelimit-scope", HeaderValue::from_static("shared"));
        return response;
    }
    let response = limit(&state, address, request, next).await;
    if matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS) {
        state.limiter.record(invalid_key, config.invalid_requests, Instant::now());
    }
    response
}

/// The global and per-route limits of one request.
async fn limit(state: &AppState, address: Option<String>, request: Request, next: Next) -> Response {
    let config = &state.config.rate_limits;
    let Some(matched) = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return next.run(request).await;
    };
    let template = matched.strip_prefix("/api/v10").or_else(|| matched.strip_prefix("/api/v9")).unwrap_or(&matched);
    let method = request.method().clone();
    let (limit, name) = config.route(&method, template);
    // Login and registration are limited per client address whatever token is sent: a made-up
    // Authorization header per request must not buy a fresh window.
    let by_address = name == "auth";
    let identity = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|token| {
            let digest = Sha256::digest(token.trim().as_bytes());
            digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()
        })
        .filter(|_| !by_address)
        .or(address)
        .unwrap_or_else(|| "anonymous".to_owned());
    let (mut parts, body) = request.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, state).await.ok();
    let request = Request::from_parts(parts, body);
    let major = major_parameter(params.as_ref());
    let now = Instant::now();

    if let Decision::Limited { retry_after } = state.limiter.check(key_of(&["global", &identity]), config.global, now) {
        return limited_response(retry_after, true, HeaderMap::new());
    }

    let bucket = bucket_id(&method, if name.is_empty() { template } else { name });
    let decision = state.limiter.check(key_of(&[&identity, &bucket, &major]), limit, now);
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-limit", header(&limit.limit.to_string()));
    headers.insert("x-ratelimit-bucket", header(&bucket));
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    match decision {
        Decision::Limited { retry_after } => {
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            headers.insert("x-ratelimit-reset", header(&secs(wall + retry_after)));
            headers.insert("x-ratelimit-reset-after", header(&secs(retry_after)));
            limited_response(retry_after, false, headers)
        }
        Decision::Allowed { remaining, reset_after } => {
            headers.insert("x-ratelimit-remaining", header(&remaining.to_string()));
            headers.insert("x-ratelimit-reset", header(&secs(wall + reset_after)));
            headers.insert("x-ratelimit-reset-after", header(&secs(reset_after)));
            let mut response = next.run(request).await;
            response.headers_mut().extend(headers);
            response
        }
    }
}

/// The top-level resource of a request: Discord's "major parameter".
fn major_parameter(params: Option<&RawPathParams>) -> String {
    let Some(params) = params else { return String::new() };
    let mut major = String::new();
    for (key, value) in params.iter() {
        if matches!(key, "channel_id" | "guild_id" | "webhook_id" | "token") {
            major.push_str(value);
            major.push('/');
        }
    }
    major
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fixed_window_counts_and_resets() {
        let limiter = RateLimiter::default();
        let limit = Limit::per_ms(2, 1000);
        let t0 = Instant::now();
        assert_eq!(limiter.check(1, limit, t0), Decision::Allowed { remaining: 1, reset_after: limit.window });
        assert!(matches!(limiter.check(1, limit, t0), Decision::Allowed { remaining: 0, .. }));
        let later = t0 + Duration::from_millis(400);
        assert_eq!(limiter.check(1, limit, later), Decision::Limited { retry_after: Duration::from_millis(600) });
        // Other keys are independent; refused requests did not extend the window.
        assert!(matches!(limiter.check(2, limit, later), Decision::Allowed { remaining: 1, .. }));
        assert!(matches!(limiter.check(1, limit, t0 + limit.window), Decision::Allowed { remaining: 1, .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn finished_windows_are_swept_without_a_scan_per_request() {
        let limiter = RateLimiter::default();
        let short = Limit::per_ms(1, 10);
        let t0 = Instant::now();
        for key in 0..SWEEP_AT as u64 {
            limiter.check(key, short, t0);
        }
        assert_eq!(limiter.len(), SWEEP_AT);
        // All of them are over: the next request sweeps them away.
        limiter.check(u64::MAX, short, t0 + Duration::from_secs(1));
        assert_eq!(limiter.len(), 1);
    }

    #[test]
    fn routes_map_to_buckets() {
        let config = RateLimitConfig::default();
        assert_eq!(config.route(&Method::POST, "/channels/{channel_id}/messages").1, "message-create");
        assert_eq!(config.route(&Method::GET, "/channels/{channel_id}/messages").1, "");
        assert_eq!(
            config.route(&Method::PUT, "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me").0,
            config.reactions
        );
        assert_ne!(bucket_id(&Method::GET, "/a"), bucket_id(&Method::POST, "/a"));
    }
}
