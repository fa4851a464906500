use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::*;

async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = Request::builder().uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::empty()).unwrap_or_default();
    match routes::<()>().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn script() -> &'static Asset {
    ASSETS.iter().find(|a| a.path.starts_with("assets/") && a.path.ends_with(".js")).unwrap_or(&ASSETS[0])
}

#[tokio::test]
async fn app_routes_answer_index_with_csp_and_no_cache() {
    for path in ["/", "/login", "/register", "/invite/AbCd1234", "/channels/1/2"] {
        let response = get(path, &[]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert!(header(&response, "content-security-policy").contains("script-src 'self'"), "{path}");
    }
}

#[tokio::test]
async fn bundles_are_immutable_and_gzipped_when_accepted() {
    let asset = script();
    assert!(
        asset.path.ends_with(".js"),
        "the build has a script bundle: {:?}",
        ASSETS.iter().map(|a| a.path).collect::<Vec<_>>()
    );
    let path = format!("/{}", asset.path);
    let plain = get(&path, &[]).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, "content-type"), "text/javascript; charset=utf-8");
    assert!(header(&plain, "cache-control").contains("immutable"));
    assert_eq!(header(&plain, "content-encoding"), "");
    let body = axum::body::to_bytes(plain.into_body(), usize::MAX).await.unwrap_or_default();
    assert_eq!(&body[..], asset.body);

    let gz = get(&path, &[("accept-encoding", "br, gzip;q=0.8")]).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert_eq!(header(&gz, "vary"), "accept-encoding");
    let refused = get(&path, &[("accept-encoding", "gzip;q=0")]).await;
    assert_eq!(header(&refused, "content-encoding"), "");
}

#[tokio::test]
async fn etag_revalidation_answers_304() {
    let asset = script();
    let response = get(&format!("/{}", asset.path), &[("if-none-match", asset.etag)]).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&response, "etag"), asset.etag);
}

#[tokio::test]
async fn unknown_paths_are_not_answered() {
    for path in ["/assets/nope.js", "/assets/../Cargo.toml", "/api/v10/users/@me", "/nope"] {
        assert_eq!(get(path, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[test]
fn disk_paths_stay_under_the_root() {
    let root = Path::new("/srv/web");
    assert_eq!(confined(root, "assets/a.js"), Some(PathBuf::from("/srv/web/assets/a.js")));
    assert_eq!(confined(root, "../etc/passwd"), None);
    assert_eq!(confined(root, "assets/../../x"), None);
    assert_eq!(confined(root, "/etc/passwd"), None);
}
