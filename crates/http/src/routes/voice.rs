//! Voice regions: those of the registered voice servers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use guildhall_model::Id;
use guildhall_model::id::marker::GuildMarker;
use guildhall_model::webhook::VoiceRegion;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Path};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/voice/regions", get(regions)).route("/guilds/{guild_id}/regions", get(guild_regions))
}

fn regions_of(state: &AppState) -> Vec<VoiceRegion> {
    guildhall_core::ops::channels::voice_regions(&state.core.voice_servers().regions())
}

async fn regions(State(state): State<AppState>, Auth(_actor): Auth) -> Json<Vec<VoiceRegion>> {
    Json(regions_of(&state))
}

async fn guild_regions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(guild_id): Path<Id<GuildMarker>>,
) -> ApiResult<Json<Vec<VoiceRegion>>> {
    state.core.guild_access(&actor, guild_id).await?;
    Ok(Json(regions_of(&state)))
}
