//! Message routes and typing (protocol.md §3.4 "Channels / messages", §3.5). Posting and
//! editing take files (multipart bodies up to Discord's 25 MiB).

use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use guildhall_core::ops::messages::{BulkDelete, CreateMessage, EditMessage, MessagesQuery};
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::Message;

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, MessageBody, Path, Query};

/// The body limit of routes that take files: Discord's request maximum. JSON bodies on them
/// still have the ordinary limit (see [`MessageBody`]).
pub(crate) fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(guildhall_core::limits::UPLOAD_MAX_BYTES)
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/{channel_id}/messages", get(messages).post(create_message).layer(upload_limit()))
        .route("/channels/{channel_id}/messages/bulk-delete", post(bulk_delete))
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            get(message).patch(edit_message).delete(delete_message).layer(upload_limit()),
        )
        .route("/channels/{channel_id}/typing", post(typing))
}

async fn messages(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Query(query): Query<MessagesQuery>,
) -> ApiResult<Json<Vec<Message>>> {
    Ok(Json(state.core.messages(&actor, channel_id, query).await?))
}

async fn message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<(Id<ChannelMarker>, Id<MessageMarker>)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.core.message(&actor, channel_id, message_id).await?))
}

async fn create_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    MessageBody(mut body, files): MessageBody<CreateMessage>,
) -> ApiResult<Json<Message>> {
    body.files = files;
    Ok(Json(state.core.create_message(&actor, channel_id, body).await?))
}

async fn edit_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<(Id<ChannelMarker>, Id<MessageMarker>)>,
    MessageBody(mut body, files): MessageBody<EditMessage>,
) -> ApiResult<Json<Message>> {
    body.files = files;
    Ok(Json(state.core.edit_message(&actor, channel_id, message_id, body).await?))
}

async fn delete_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<(Id<ChannelMarker>, Id<MessageMarker>)>,
) -> ApiResult<Response> {
    state.core.delete_message(&actor, channel_id, message_id).await?;
    Ok(no_content())
}

async fn bulk_delete(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Body(body): Body<BulkDelete>,
) -> ApiResult<Response> {
    state.core.bulk_delete_messages(&actor, channel_id, body).await?;
    Ok(no_content())
}

async fn typing(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Response> {
    state.core.trigger_typing(&actor, channel_id).await?;
    Ok(no_content())
}
