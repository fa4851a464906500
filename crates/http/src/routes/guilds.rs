//! `/guilds` and `/guilds/{guild_id}` (protocol.md §3.4 "Guilds").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use guildhall_core::ops::guilds::{CreateGuild, GuildQuery, UpdateGuild};
use guildhall_model::Id;
use guildhall_model::guild::Guild;
use guildhall_model::id::marker::GuildMarker;

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/guilds", post(create_guild))
        .route("/guilds/{guild_id}", get(guild).patch(update_guild).delete(delete_guild))
}

async fn create_guild(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<CreateGuild>,
) -> ApiResult<(StatusCode, Json<Guild>)> {
    Ok((StatusCode::CREATED, Json(state.core.create_guild(&actor, body).await?)))
}

async fn guild(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Query(query): Query<GuildQuery>,
) -> ApiResult<Json<Guild>> {
    Ok(Json(state.core.guild(&actor, guild_id, query).await?))
}

async fn update_guild(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<UpdateGuild>,
) -> ApiResult<Json<Guild>> {
    Ok(Json(state.core.update_guild(&actor, guild_id, body).await?))
}

async fn delete_guild(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Response> {
    state.core.delete_guild(&actor, guild_id).await?;
    Ok(no_content())
}
