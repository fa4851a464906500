//! Attachment downloads: `GET /attachments/{channel_id}/{attachment_id}/{filename}?ex&is&hm`,
//! the links messages carry (see `guildhall_core::ops::messages::attachments`). Like Discord's
//! CDN they sit outside the API: no authentication (the signature is the credential), no rate
//! limit, and anything wrong is a 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use guildhall_core::Code;
use guildhall_core::ops::messages::AttachmentQuery;
use guildhall_model::Id;
use guildhall_model::id::marker::{AttachmentMarker, ChannelMarker};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/attachments/{channel_id}/{attachment_id}/{filename}", get(download))
}

type AttachmentPath = (Id<ChannelMarker>, Id<AttachmentMarker>, String);

async fn download(
    State(state): State<AppState>,
    path: Result<Path<AttachmentPath>, axum::extract::rejection::PathRejection>,
    query: Result<Query<AttachmentQuery>, ApiError>,
) -> ApiResult<Response> {
    // A malformed id or query is just a link that leads nowhere.
    let (Ok(Path((channel_id, attachment_id, filename))), Ok(Query(query))) = (path, query) else {
        return Err(ApiError::from(Code::NotFound));
    };
    let blob = state.core.attachment_file(channel_id, attachment_id, &filename, &query).await?;
    let content_type = blob
        .content_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_LENGTH, HeaderValue::from(blob.bytes.len())),
        // Files are served from the API's own origin: an uploaded HTML or SVG page must not run
        // scripts there, and browsers must not second-guess the type.
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
    ];
    Ok((StatusCode::OK, headers, blob.bytes).into_response())
}
