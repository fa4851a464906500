//! Reaction routes (protocol.md §3.4 ".../reactions"). `{emoji}` arrives percent-decoded.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use guildhall_core::ops::reactions::ReactionUsersQuery;
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, UserMarker};
use guildhall_model::user::User;

use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Path, Query};

type MessagePath = (Id<ChannelMarker>, Id<MessageMarker>);
type EmojiPath = (Id<ChannelMarker>, Id<MessageMarker>, String);
type UserReactionPath = (Id<ChannelMarker>, Id<MessageMarker>, String, Id<UserMarker>);

pub(crate) fn routes() -> Router<AppState> {
    let base = "/channels/{channel_id}/messages/{message_id}/reactions";
    Router::new()
        .route(base, delete(remove_all))
        .route(&format!("{base}/{{emoji}}"), get(users).delete(remove_emoji))
        .route(&format!("{base}/{{emoji}}/@me"), put(add).delete(remove_own))
        .route(&format!("{base}/{{emoji}}/{{user_id}}"), delete(remove_user))
}

async fn add(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id, emoji)): Path<EmojiPath>,
) -> ApiResult<Response> {
    state.core.add_reaction(&actor, channel_id, message_id, &emoji).await?;
    Ok(no_content())
}

async fn remove_own(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id, emoji)): Path<EmojiPath>,
) -> ApiResult<Response> {
    state.core.remove_own_reaction(&actor, channel_id, message_id, &emoji).await?;
    Ok(no_content())
}

async fn remove_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id, emoji, user_id)): Path<UserReactionPath>,
) -> ApiResult<Response> {
    state.core.remove_user_reaction(&actor, channel_id, message_id, &emoji, user_id).await?;
    Ok(no_content())
}

async fn users(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id, emoji)): Path<EmojiPath>,
    Query(query): Query<ReactionUsersQuery>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(state.core.reaction_users(&actor, channel_id, message_id, &emoji, query).await?))
}

async fn remove_all(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id)): Path<MessagePath>,
) -> ApiResult<Response> {
    state.core.remove_all_reactions(&actor, channel_id, message_id).await?;
    Ok(no_content())
}

async fn remove_emoji(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((channel_id, message_id, emoji)): Path<EmojiPath>,
) -> ApiResult<Response> {
    state.core.remove_emoji_reactions(&actor, channel_id, message_id, &emoji).await?;
    Ok(no_content())
}
