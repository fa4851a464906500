//! Guild member routes (protocol.md §3.4 "Guilds", the member rows), and the current user's
//! member object in one guild (`/users/@me/guilds/{guild_id}/member`).

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use guildhall_core::ops::members::{ListMembersQuery, SearchMembersQuery, UpdateCurrentMember, UpdateMember};
use guildhall_model::Id;
use guildhall_model::guild::Member;
use guildhall_model::id::marker::{GuildMarker, RoleMarker, UserMarker};

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    // The static segments `search` and `@me` take precedence over `{user_id}`.
    Router::new()
        .route("/guilds/{guild_id}/members", get(list))
        .route("/guilds/{guild_id}/members/search", get(search))
        .route("/guilds/{guild_id}/members/@me", patch(update_current))
        .route("/guilds/{guild_id}/members/{user_id}", get(member).patch(update).delete(kick))
        .route("/guilds/{guild_id}/members/{user_id}/roles/{role_id}", put(add_role).delete(remove_role))
        .route("/users/@me/guilds/{guild_id}/member", get(current_user_member))
}

async fn member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
) -> ApiResult<Json<Member>> {
    Ok(Json(state.core.member(&actor, guild_id, user_id).await?))
}

async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Query(query): Query<ListMembersQuery>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(state.core.members(&actor, guild_id, query).await?))
}

async fn search(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Query(query): Query<SearchMembersQuery>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(state.core.search_members(&actor, guild_id, query).await?))
}

async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
    Body(body): Body<UpdateMember>,
) -> ApiResult<Json<Member>> {
    Ok(Json(state.core.update_member(&actor, guild_id, user_id, body).await?))
}

async fn update_current(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
    Body(body): Body<UpdateCurrentMember>,
) -> ApiResult<Json<Member>> {
    Ok(Json(state.core.update_current_member(&actor, guild_id, body).await?))
}

async fn kick(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id)): Path<(Id<GuildMarker>, Id<UserMarker>)>,
) -> ApiResult<Response> {
    state.core.kick_member(&actor, guild_id, user_id).await?;
    Ok(no_content())
}

async fn add_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id, role_id)): Path<(Id<GuildMarker>, Id<UserMarker>, Id<RoleMarker>)>,
) -> ApiResult<Response> {
    state.core.add_member_role(&actor, guild_id, user_id, role_id).await?;
    Ok(no_content())
}

async fn remove_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((guild_id, user_id, role_id)): Path<(Id<GuildMarker>, Id<UserMarker>, Id<RoleMarker>)>,
) -> ApiResult<Response> {
    state.core.remove_member_role(&actor, guild_id, user_id, role_id).await?;
    Ok(no_content())
}

async fn current_user_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Member>> {
    Ok(Json(state.core.current_user_member(&actor, guild_id).await?))
}
