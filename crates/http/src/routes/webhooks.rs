//! Webhook routes (protocol.md §3.4 "webhooks"). The `/webhooks/{id}/{token}` routes take no
//! `Authorization`: the token is the credential.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use guildhall_core::ops::messages::EditMessage;
use guildhall_core::ops::webhooks::{CreateWebhook, ExecuteQuery, ExecuteWebhook, UpdateWebhook, WebhookMessageQuery};
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, MessageMarker, WebhookMarker};
use guildhall_model::message::Message;
use guildhall_model::webhook::Webhook;

use super::messages::upload_limit;
use super::no_content;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, MessageBody, Path, Query};

type TokenPath = (Id<WebhookMarker>, String);
type TokenMessagePath = (Id<WebhookMarker>, String, Id<MessageMarker>);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/{channel_id}/webhooks", get(channel_webhooks).post(create_webhook))
        .route("/guilds/{guild_id}/webhooks", get(guild_webhooks))
        .route("/webhooks/{webhook_id}", get(webhook).patch(update_webhook).delete(delete_webhook))
        .route(
            "/webhooks/{webhook_id}/{token}",
            get(webhook_with_token)
                .patch(update_webhook_with_token)
                .delete(delete_webhook_with_token)
                .post(execute_webhook)
                .layer(upload_limit()),
        )
        .route(
            "/webhooks/{webhook_id}/{token}/messages/{message_id}",
            get(webhook_message).patch(edit_webhook_message).delete(delete_webhook_message).layer(upload_limit()),
        )
}

async fn create_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
    Body(body): Body<CreateWebhook>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(state.core.create_webhook(&actor, channel_id, body).await?))
}

async fn channel_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(channel_id): Path<Id<ChannelMarker>>,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(state.core.channel_webhooks(&actor, channel_id).await?))
}

async fn guild_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(state.core.guild_webhooks(&actor, guild_id).await?))
}

async fn webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(webhook_id): Path<Id<WebhookMarker>>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(state.core.webhook(&actor, webhook_id).await?))
}

async fn update_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(webhook_id): Path<Id<WebhookMarker>>,
    Body(body): Body<UpdateWebhook>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(state.core.update_webhook(&actor, webhook_id, body).await?))
}

async fn delete_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(webhook_id): Path<Id<WebhookMarker>>,
) -> ApiResult<Response> {
    state.core.delete_webhook(&actor, webhook_id).await?;
    Ok(no_content())
}

async fn webhook_with_token(
    State(state): State<AppState>,
    Path((webhook_id, token)): Path<TokenPath>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(state.core.webhook_with_token(webhook_id, &token).await?))
}

async fn update_webhook_with_token(
    State(state): State<AppState>,
    Path((webhook_id, token)): Path<TokenPath>,
    Body(body): Body<UpdateWebhook>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(state.core.update_webhook_with_token(webhook_id, &token, body).await?))
}

async fn delete_webhook_with_token(
    State(state): State<AppState>,
    Path((webhook_id, token)): Path<TokenPath>,
) -> ApiResult<Response> {
    state.core.delete_webhook_with_token(webhook_id, &token).await?;
    Ok(no_content())
}

async fn execute_webhook(
    State(state): State<AppState>,
    Path((webhook_id, token)): Path<TokenPath>,
    Query(query): Query<ExecuteQuery>,
    MessageBody(mut body, files): MessageBody<ExecuteWebhook>,
) -> ApiResult<Response> {
    body.files = files;
    Ok(match state.core.execute_webhook(webhook_id, &token, query, body).await? {
        Some(message) => Json(message).into_response(),
        None => no_content(),
    })
}

async fn webhook_message(
    State(state): State<AppState>,
    Path((webhook_id, token, message_id)): Path<TokenMessagePath>,
    Query(query): Query<WebhookMessageQuery>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.core.webhook_message(webhook_id, &token, message_id, query).await?))
}

async fn edit_webhook_message(
    State(state): State<AppState>,
    Path((webhook_id, token, message_id)): Path<TokenMessagePath>,
    Query(query): Query<WebhookMessageQuery>,
    MessageBody(mut body, files): MessageBody<EditMessage>,
) -> ApiResult<Json<Message>> {
    body.files = files;
    Ok(Json(state.core.edit_webhook_message(webhook_id, &token, message_id, query, body).await?))
}

async fn delete_webhook_message(
    State(state): State<AppState>,
    Path((webhook_id, token, message_id)): Path<TokenMessagePath>,
    Query(query): Query<WebhookMessageQuery>,
) -> ApiResult<Response> {
    state.core.delete_webhook_message(webhook_id, &token, message_id, query).await?;
    Ok(no_content())
}
