//! The current application and the gateway discovery routes (protocol.md §1.8).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use guildhall_core::Code;
use guildhall_core::ops::oauth2::{AuthorizeBody, AuthorizeQuery, Authorized};
use guildhall_model::gateway::{GatewayBot, SessionStartLimit};
use guildhall_model::user::Application;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, Body, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications/@me", get(current_application))
        .route("/oauth2/applications/@me", get(current_application))
        .route("/oauth2/authorize", post(authorize))
        .route("/gateway", get(gateway))
        .route("/gateway/bot", get(gateway_bot))
}

async fn current_application(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Application>> {
    Ok(Json(state.core.current_application(&actor).await?))
}

/// The bot scope of Discord's authorize screen: adds the application's bot to a guild.
async fn authorize(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(query): Query<AuthorizeQuery>,
    Body(body): Body<AuthorizeBody>,
) -> ApiResult<Json<Authorized>> {
    Ok(Json(state.core.authorize_bot(&actor, query, body).await?))
}

/// No authentication, as on Discord.
async fn gateway(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "url": state.config.gateway_url }))
}

/// One shard is always enough here; identify concurrency is not limited beyond 1 per 5 s.
async fn gateway_bot(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<GatewayBot>> {
    if !actor.is_bot() {
        return Err(ApiError::from(Code::OnlyBots));
    }
    Ok(Json(GatewayBot {
        url: state.config.gateway_url.clone(),
        shards: 1,
        session_start_limit: SessionStartLimit {
            total: 1000,
            remaining: 1000,
            reset_after: 86_400_000,
            max_concurrency: 1,
        },
    }))
}
