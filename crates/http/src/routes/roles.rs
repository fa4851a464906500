//! `/guilds/{guild_id}/roles` (protocol.md §3.4 "Guilds" role rows).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use guildhall_core::ops::roles::{RolePosition, RoleRequest};
use guildhall_model::Id;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{GuildMarker, RoleMarker};

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/guilds/{guild_id}/roles", get(roles).post(create_role).patch(update_role_positions))
        .route("/guilds/{guild_id}/roles/member-counts", get(member_counts))
        .route("/guilds/{guild_id}/roles/{role_id}", get(role).patch(update_role).delete(delete_role))
}

async fn member_counts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<std::collections::BTreeMap<Id<RoleMarker>, u64>>> {
    Ok(Json(state.core.role_member_counts(&actor, guild_id).await?))
}

async fn roles(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(state.core.roles(&actor, guild_id).await?))
}

async fn role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, role_id)): Path<(Id<GuildMarker>, Id<RoleMarker>)>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.core.role(&actor, guild_id, role_id).await?))
}

async fn create_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<RoleRequest>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.core.create_role(&actor, guild_id, body).await?))
}

async fn update_role_positions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<Vec<RolePosition>>,
) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(state.core.update_role_positions(&actor, guild_id, body).await?))
}

async fn update_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, role_id)): Path<(Id<GuildMarker>, Id<RoleMarker>)>,
    Body(body): Body<RoleRequest>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.core.update_role(&actor, guild_id, role_id, body).await?))
}

async fn delete_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, role_id)): Path<(Id<GuildMarker>, Id<RoleMarker>)>,
) -> ApiResult<Response> {
    state.core.delete_role(&actor, guild_id, role_id).await?;
    Ok(no_content())
}
