//! Message routes and typing (protocol.md §3.4 "Channels / messages", §3.5).

use axum::extract::State;
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
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/{channel_id}/messages", get(messages).post(create_message))
        .route("/channels/{channel_id}/messages/bulk-delete", post(bulk_delete))
        .route("/channels/{channel_id}/messages/{message_id}", get(message).patch(edit_message).delete(delete_message))
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
    Body(body): Body<CreateMessage>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.core.create_message(&actor, channel_id, body).await?))
}

async fn edit_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<(Id<ChannelMarker>, Id<MessageMarker>)>,
    Body(body): Body<EditMessage>,
) -> ApiResult<Json<Message>> {
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
