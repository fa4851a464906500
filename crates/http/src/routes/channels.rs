//! Guild channel lists and `/channels/{channel_id}` with its permission overwrites (protocol.md
//! §3.4 "Guilds" channel rows and "Channels").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use guildhall_core::ops::channels::{ChannelPosition, ChannelSettings, EditOverwrite};
use guildhall_model::Id;
use guildhall_model::channel::Channel;
use guildhall_model::id::marker::{ChannelMarker, GenericMarker, GuildMarker};

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/guilds/{guild_id}/channels", get(guild_channels).post(create_channel).patch(update_channel_positions))
        .route("/channels/{channel_id}", get(channel).patch(update_channel).delete(delete_channel))
        .route("/channels/{channel_id}/permissions/{overwrite_id}", put(edit_overwrite).delete(delete_overwrite))
}

async fn guild_channels(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(state.core.guild_channels(&actor, guild_id).await?))
}

async fn create_channel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<ChannelSettings>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    Ok((StatusCode::CREATED, Json(state.core.create_channel(&actor, guild_id, body).await?)))
}

async fn update_channel_positions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<Vec<ChannelPosition>>,
) -> ApiResult<Response> {
    state.core.update_channel_positions(&actor, guild_id, body).await?;
    Ok(no_content())
}

async fn channel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(state.core.channel(&actor, channel_id).await?))
}

async fn update_channel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Body(body): Body<ChannelSettings>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(state.core.update_channel(&actor, channel_id, body).await?))
}

async fn delete_channel(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(state.core.delete_channel(&actor, channel_id).await?))
}

async fn edit_overwrite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, overwrite_id)): Path<(Id<ChannelMarker>, Id<GenericMarker>)>,
    Body(body): Body<EditOverwrite>,
) -> ApiResult<Response> {
    state.core.edit_overwrite(&actor, channel_id, overwrite_id, body).await?;
    Ok(no_content())
}

async fn delete_overwrite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, overwrite_id)): Path<(Id<ChannelMarker>, Id<GenericMarker>)>,
) -> ApiResult<Response> {
    state.core.delete_overwrite(&actor, channel_id, overwrite_id).await?;
    Ok(no_content())
}
