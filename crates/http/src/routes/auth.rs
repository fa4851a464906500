//! `/auth/register` and `/auth/login`: user accounts for the web client.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use guildhall_core::ops::auth::{LoginRequest, RegisterRequest, Session};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Body;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/auth/register", post(register)).route("/auth/login", post(login))
}

async fn register(
    State(state): State<AppState>,
    Body(body): Body<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    Ok((StatusCode::CREATED, Json(state.core.register(body).await?)))
}

async fn login(State(state): State<AppState>, Body(body): Body<LoginRequest>) -> ApiResult<Json<Session>> {
    Ok(Json(state.core.login(body).await?))
}
