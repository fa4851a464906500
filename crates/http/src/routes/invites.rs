//! Invites: `/channels/{channel_id}/invites`, `/guilds/{guild_id}/invites`, `/invites/{code}`
//! (protocol.md §3.4 "Channels" and "Invites").

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use guildhall_core::ops::invites::{AcceptedInvite, CreateInvite, InviteQuery};
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker};
use guildhall_model::invite::Invite;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/{channel_id}/invites", get(channel_invites).post(create_invite))
        .route("/guilds/{guild_id}/invites", get(guild_invites))
        .route("/invites/{code}", get(invite).delete(delete_invite).post(accept_invite))
}

async fn create_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Body(body): Body<CreateInvite>,
) -> ApiResult<Json<Invite>> {
    Ok(Json(state.core.create_invite(&actor, channel_id, body).await?))
}

async fn channel_invites(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Json<Vec<Invite>>> {
    Ok(Json(state.core.channel_invites(&actor, channel_id).await?))
}

async fn guild_invites(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Vec<Invite>>> {
    Ok(Json(state.core.guild_invites(&actor, guild_id).await?))
}

async fn invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    Query(query): Query<InviteQuery>,
) -> ApiResult<Json<Invite>> {
    Ok(Json(state.core.invite(&actor, &code, query).await?))
}

async fn delete_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<Invite>> {
    Ok(Json(state.core.delete_invite(&actor, &code).await?))
}

async fn accept_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<AcceptedInvite>> {
    Ok(Json(state.core.accept_invite(&actor, &code).await?))
}
