//! Pin routes (protocol.md §3.4): `/channels/{id}/messages/pins[/{id}]` and the deprecated
//! `/channels/{id}/pins[/{id}]`, which older libraries still use.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use guildhall_core::ops::pins::{PinsPage, PinsQuery};
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::Message;

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Path, Query};

type PinPath = (Id<ChannelMarker>, Id<MessageMarker>);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/{channel_id}/messages/pins", get(pins))
        .route("/channels/{channel_id}/messages/pins/{message_id}", put(pin).delete(unpin))
        .route("/channels/{channel_id}/pins", get(legacy_pins))
        .route("/channels/{channel_id}/pins/{message_id}", put(pin).delete(unpin))
}

async fn pins(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Query(query): Query<PinsQuery>,
) -> ApiResult<Json<PinsPage>> {
    Ok(Json(state.core.pins(&actor, channel_id, query).await?))
}

async fn legacy_pins(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Json<Vec<Message>>> {
    Ok(Json(state.core.legacy_pins(&actor, channel_id).await?))
}

async fn pin(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<PinPath>,
) -> ApiResult<Response> {
    state.core.pin_message(&actor, channel_id, message_id).await?;
    Ok(no_content())
}

async fn unpin(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<PinPath>,
) -> ApiResult<Response> {
    state.core.unpin_message(&actor, channel_id, message_id).await?;
    Ok(no_content())
}
