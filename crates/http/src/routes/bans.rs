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
use crate::extract::{Auth, Body, Path, Query};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/guilds/{guild_id}/bans", get(list))
        .route("/guilds/{guild_id}/bans/{user_id}", get(ban).put(create).delete(remove))
        .route("/guilds/{guild_id}/bulk-ban", post(bulk))
}

/// The `X-Audit-Log-Reason` header, percent-decoded. Invalid escapes are kept as written and
/// invalid UTF-8 is replaced, so a sloppy header never fails the request.
pub(crate) fn audit_log_reason(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get("x-audit-log-reason")?.as_bytes();
    Some(String::from_utf8_lossy(&percent_decode(raw)).into_owned())
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%'
            && let [a, b, after @ ..] = tail
            && let (Some(high), Some(low)) = (hex(*a), hex(*b))
        {
            out.push(high << 4 | low);
            rest = after;
            continue;
        }
        out.push(first);
        rest = tail;
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_percent_decoded() {
        let mut headers = HeaderMap::new();
        assert_eq!(audit_log_reason(&headers), None);
        for (raw, want) in [
            ("spam%20and%20abuse", "spam and abuse"),
            ("caf%C3%A9", "café"),
            ("100%", "100%"),
            ("%zz%4", "%zz%4"),
            ("a+b", "a+b"),
        ] {
            headers.insert("x-audit-log-reason", raw.parse().unwrap_or_else(|_| panic!("{raw}")));
            assert_eq!(audit_log_reason(&headers).as_deref(), Some(want), "{raw}");
        }
    }
}
