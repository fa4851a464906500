//! Ban routes (protocol.md §3.4 "Guilds", the ban rows). The ban reason comes from the
//! `X-Audit-Log-Reason` header, URL-encoded by clients (§3.1).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use guildhall_core::ops::bans::{BansQuery, BulkBan, BulkBanResult, CreateBan};
use guildhall_model::Id;
use guildhall_model::guild::Ban;
use guildhall_model::id::marker::{GuildMarker, UserMarker};

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path, Query, audit_log_reason};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/guilds/{guild_id}/bans", get(list))
        .route("/guilds/{guild_id}/bans/{user_id}", get(ban).put(create).delete(remove))
        .route("/guilds/{guild_id}/bulk-ban", post(bulk))
}

async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Query(query): Query<BansQuery>,
) -> ApiResult<Json<Vec<Ban>>> {
    Ok(Json(state.core.bans(&actor, guild_id, query).await?))
}

async fn ban(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
) -> ApiResult<Json<Ban>> {
    Ok(Json(state.core.ban(&actor, guild_id, user_id).await?))
}

async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
    headers: HeaderMap,
    Body(body): Body<CreateBan>,
) -> ApiResult<Response> {
    state.core.create_ban(&actor, guild_id, user_id, body, audit_log_reason(&headers)).await?;
    Ok(no_content())
}

async fn remove(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
) -> ApiResult<Response> {
    state.core.delete_ban(&actor, guild_id, user_id).await?;
    Ok(no_content())
}

async fn bulk(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    headers: HeaderMap,
    Body(body): Body<BulkBan>,
) -> ApiResult<Json<BulkBanResult>> {
    Ok(Json(state.core.bulk_ban(&actor, guild_id, body, audit_log_reason(&headers)).await?))
}
