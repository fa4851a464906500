//! `/users/...` routes (protocol.md §3.4 "Users").

use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use guildhall_core::ops::users::{CreateDm, CurrentUserGuildsQuery, PartialGuild, UpdateCurrentUser};
use guildhall_model::Id;
use guildhall_model::channel::Channel;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use guildhall_model::user::User;

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/@me", get(current_user).patch(update_current_user))
        .route("/users/@me/guilds", get(current_user_guilds))
        .route("/users/@me/guilds/{guild_id}", delete(leave_guild))
        .route("/users/@me/channels", post(create_dm))
        .route("/users/{user_id}", get(user))
}

async fn current_user(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<User>> {
    Ok(Json(state.core.current_user(&actor).await?))
}

async fn update_current_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<UpdateCurrentUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.core.update_current_user(&actor, body).await?))
}

async fn user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<Id<UserMarker>>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.core.user(&actor, user_id).await?))
}

async fn current_user_guilds(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(query): Query<CurrentUserGuildsQuery>,
) -> ApiResult<Json<Vec<PartialGuild>>> {
    Ok(Json(state.core.current_user_guilds(&actor, query).await?))
}

async fn leave_guild(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Response> {
    state.core.leave_guild(&actor, guild_id).await?;
    Ok(no_content())
}

async fn create_dm(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<CreateDm>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(state.core.create_dm(&actor, body).await?))
}
