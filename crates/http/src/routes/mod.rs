//! One module per resource; each exposes `routes()` with Discord's paths (relative to the
//! version prefix). Path parameters are named `{channel_id}`, `{guild_id}`, `{message_id}`,
//! `{user_id}`, `{role_id}`, `{webhook_id}`, `{token}`, `{emoji}`, `{overwrite_id}`, `{code}`:
//! the rate limiter reads the first four kinds as Discord's "major parameter".

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;

mod applications;
pub(crate) mod attachments;
mod auth;
mod bans;
mod channels;
mod guilds;
mod invites;
mod members;
mod messages;
mod pins;
mod reactions;
mod roles;
mod users;
mod voice;
mod webhooks;

/// Every route of the API.
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        .merge(applications::routes())
        .merge(auth::routes())
        .merge(bans::routes())
        .merge(channels::routes())
        .merge(guilds::routes())
        .merge(invites::routes())
        .merge(members::routes())
        .merge(messages::routes())
        .merge(pins::routes())
        .merge(reactions::routes())
        .merge(roles::routes())
        .merge(users::routes())
        .merge(voice::routes())
        .merge(webhooks::routes())
}

/// 204 No Content, for successful mutations without a body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
