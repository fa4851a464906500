//! guildhall's web client, served at `/` from assets embedded at build time (see build.rs:
//! `web/` is built with Vite into OUT_DIR and every file is compiled into the binary).
//!
//! [`routes`] answers the client's own paths: `/` and the client-side routes (`/login`,
//! `/register`, `/invite/{code}`, `/channels/...`) with `index.html`, and the hashed bundles
//! under `/assets/` with a year-long immutable cache and a precompressed gzip copy. Everything
//! else stays with the API's fallback (Discord's JSON 404).
//!
//! For work on the client, `GUILDHALL_WEB_DIR=web/dist` serves a directory from disk instead,
//! read per request, so `npm run build` shows without rebuilding the server.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file of the built client.
#[derive(Debug)]
struct Asset {
    /// Relative to the dist root, with `/` separators (`index.html`, `assets/index-abc.js`).
    path: &'static str,
    body: &'static [u8],
    /// Present for text files that compress by more than a tenth.
    gzip: Option<&'static [u8]>,
    etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Client-side routes of the single-page app: all answered with `index.html`.
const APP_ROUTES: &[&str] = &["/", "/login", "/register", "/invite/{code}", "/channels/{*rest}"];

#[derive(Clone, Debug)]
enum Source {
    Embedded,
    Dir(Arc<PathBuf>),
}

/// The web client's routes; `GUILDHALL_WEB_DIR` (if set) serves that directory instead of the
/// embedded build.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let source = match std::env::var_os("GUILDHALL_WEB_DIR") {
        Some(dir) => {
            tracing::info!(dir = %Path::new(&dir).display(), "web client served from disk (GUILDHALL_WEB_DIR)");
            Source::Dir(Arc::new(PathBuf::from(dir)))
        }
        None => Source::Embedded,
    };
    let mut router = Router::new();
    for route in APP_ROUTES {
        router = router.route(route, get(index));
    }
    router = router.route("/assets/{*path}", get(file));
    // Root files (favicon and the like) by name: known at build time, or listed at start.
    let root_files: Vec<String> = match &source {
        Source::Embedded => ASSETS.iter().filter(|a| !a.path.contains('/')).map(|a| a.path.to_owned()).collect(),
        Source::Dir(dir) => std::fs::read_dir(dir.as_path())
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    for name in root_files.iter().filter(|name| *name != "index.html") {
        router = router.route(&format!("/{name}"), get(file));
    }
    router.with_state(source)
}

async fn index(State(source): State<Source>, headers: HeaderMap) -> Response {
    serve(&source, "index.html", &headers).await
}

async fn file(State(source): State<Source>, uri: Uri, headers: HeaderMap) -> Response {
    serve(&source, uri.path().trim_start_matches('/'), &headers).await
}

async fn serve(source: &Source, path: &str, headers: &HeaderMap) -> Response {
    // Bundles carry a content hash in their name: cache them for good. index.html names the
    // current bundles, so it is revalidated on every load.
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = match source {
        Source::Embedded => {
            let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == asset.etag.as_bytes()) {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, asset.etag), (header::CACHE_CONTROL, cache)])
                    .into_response();
            }
            let mut response = match asset.gzip.filter(|_| accepts_gzip(headers)) {
                Some(gz) => ([(header::CONTENT_ENCODING, "gzip")], gz).into_response(),
                None => asset.body.into_response(),
            };
            response.headers_mut().insert(header::ETAG, HeaderValue::from_static(asset.etag));
            if asset.gzip.is_some() {
                response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            response
        }
        Source::Dir(root) => {
            let Some(file) = confined(root, path) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            match tokio::fs::read(&file).await {
                Ok(body) => body.into_response(),
                Err(_) => return StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path == "index.html" {
        // The client renders user content as text; a CSP keeps any slip from running script.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
                 connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// `root/path` if `path` has only normal components (no `..`, no absolute path).
fn confined(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path);
    relative.components().all(|c| matches!(c, Component::Normal(_))).then(|| root.join(relative))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
