//! Starting and resuming sessions, and the commands of an established session: the async
//! half of IDENTIFY/RESUME/op 3/op 4/op 8 that needs the store, run by the driver when the
//! [`Connection`](crate::connection::Connection) hands them over.

use std::sync::Arc;

use guildhall_core::ops::views;
use guildhall_core::{Actor, Core, DEFAULT_LARGE_THRESHOLD, GuildCreateOptions};
use guildhall_model::Id;
use guildhall_model::commands::{RequestGuildMembers, UpdateVoiceState};
use guildhall_model::flags::{ApplicationFlags, Intents};
use guildhall_model::gateway::{Identify, Ready, Resume};
use guildhall_model::guild::UnavailableGuild;
use guildhall_model::id::marker::UserMarker;
use guildhall_model::presence::UpdatePresence;
use guildhall_model::user::PartialApplication;
use serde::Deserialize;

use crate::connection::{Close, Output};
use crate::hub::{Hub, ResumeFailure, Session};
use crate::outbox::Frame;
use crate::protocol::CloseCode;

/// Which privileged intents an application's flags allow (full or "limited" grants alike).
fn allowed_privileged(flags: ApplicationFlags) -> Intents {
    let mut allowed = Intents::empty();
    let grants = [
        (
            ApplicationFlags::GATEWAY_GUILD_MEMBERS | ApplicationFlags::GATEWAY_GUILD_MEMBERS_LIMITED,
            Intents::GUILD_MEMBERS,
        ),
        (ApplicationFlags::GATEWAY_PRESENCE | ApplicationFlags::GATEWAY_PRESENCE_LIMITED, Intents::GUILD_PRESENCES),
        (
            ApplicationFlags::GATEWAY_MESSAGE_CONTENT | ApplicationFlags::GATEWAY_MESSAGE_CONTENT_LIMITED,
            Intents::MESSAGE_CONTENT,
        ),
    ];
    for (grant, intent) in grants {
        if flags.intersects(grant) {
            allowed |= intent;
        }
    }
    allowed
}

/// The account behind an IDENTIFY/RESUME token, which may carry the `Bot ` prefix or not
/// (twilight sends it, discord.py and discord.js do not).
pub(crate) async fn authenticate(core: &Core, token: &str) -> Option<Actor> {
    let bare = token.strip_prefix("Bot ").unwrap_or(token).trim();
    if bare.is_empty() {
        return None;
    }
    match core.authenticate(&format!("Bot {bare}")).await {
        Ok(actor) => Some(actor),
        Err(_) => core.authenticate(bare).await.ok(),
    }
}

/// What the connection needs to know about its session.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) session: Arc<Session>,
    /// The account, for the commands that act as it (op 4).
    pub(crate) actor: Actor,
}

/// IDENTIFY: checks the token, intents and shard, starts the session and queues READY and one
/// GUILD_CREATE per guild ahead of any event that arrived meanwhile.
pub(crate) async fn identify(hub: &Hub, identify: &Identify, version: u8, connection: u64) -> Result<Started, Close> {
    let core = hub.core();
    let actor = authenticate(core, &identify.token).await.ok_or(Close::from_code(CloseCode::AuthenticationFailed))?;
    let application = match actor.application_id {
        Some(id) => core.store().application(id).await.ok().flatten(),
        None => None,
    };
    let intents = match (identify.intents, actor.is_bot()) {
        (Some(bits), _) => Intents::from_bits(bits).ok_or(Close::from_code(CloseCode::InvalidIntents))?,
        // Intents are required of bots since v8; user sessions (the web client) get everything.
        (None, true) => return Err(Close::from_code(CloseCode::InvalidIntents)),
        (None, false) => Intents::all(),
    };
    if actor.is_bot() {
        let allowed = application.as_ref().map_or(Intents::empty(), |app| allowed_privileged(app.flags));
        if !allowed.contains(intents & Intents::PRIVILEGED) {
            return Err(Close::from_code(CloseCode::DisallowedIntents));
        }
    }
    let shard = match identify.shard {
        Some([id, count]) if count == 0 || id >= count => return Err(Close::from_code(CloseCode::InvalidShard)),
        other => other,
    };
    let large_threshold = identify.large_threshold.unwrap_or(DEFAULT_LARGE_THRESHOLD).clamp(50, 250);

    // Registered before the guild list is read: a guild joined or left meanwhile has its
    // GUILD_CREATE/GUILD_DELETE held for this session rather than missed.
    let session = hub.create_session(actor.id(), actor.is_bot(), intents, shard, connection);
    let guilds = match core.store().guild_ids_for_user(actor.id()).await {
        Ok(guilds) => guilds,
        Err(error) => {
            tracing::warn!(%error, "identify: guild list not loaded");
            hub.end(&session);
            return Err(Close::from_code(CloseCode::UnknownError));
        }
    };
    let guilds: Vec<_> = guilds.into_iter().filter(|g| session.owns_guild(*g)).collect();
    for guild in &guilds {
        hub.join_guild(*guild, &session);
    }

    let ready = Ready {
        v: version,
        user: views::current_user(&actor.user, None),
        guilds: guilds.iter().map(|id| UnavailableGuild { id: *id, unavailable: Some(true) }).collect(),
        session_id: session.id.to_string(),
        resume_gateway_url: hub.config().resume_url.clone(),
        shard,
        application: application.as_ref().map(|app| PartialApplication { id: app.id, flags: app.flags }),
    };
    session.push_own(Frame::json("READY", &serde_json::to_value(&ready).unwrap_or_default()));
    let options = GuildCreateOptions { large_threshold, presences: intents.contains(Intents::GUILD_PRESENCES) };
    for guild in guilds {
        match core.guild_create_payload(guild, actor.id(), options).await {
            Ok(payload) => {
                session.push_own(Frame::json("GUILD_CREATE", &serde_json::to_value(&payload).unwrap_or_default()));
            }
            // Left the guild between the list and now: READY named it, so say it is gone.
            Err(error) => {
                tracing::debug!(%error, %guild, "identify: guild gone meanwhile");
                hub.leave_guild(guild, &session);
                session.push_own(Frame::json("GUILD_DELETE", &serde_json::json!({ "id": guild })));
            }
        }
    }
    session.release();
    // The session is online from now on, with the presence IDENTIFY carried (if it parses).
    let presence = identify.presence.as_ref().and_then(|p| UpdatePresence::deserialize(p).ok()).unwrap_or_default();
    if let Err(error) = core.set_presence(actor.id(), actor.is_bot(), &session.id, presence).await {
        tracing::warn!(%error, "identify: presence not set");
    }
    Ok(Started { session, actor })
}

/// RESUME: the same account's session, rewound to the client's `seq`, then RESUMED.
pub(crate) async fn resume(hub: &Hub, resume: &Resume, connection: u64) -> Result<Started, ResumeFailure> {
    let actor = authenticate(hub.core(), &resume.token).await.ok_or(ResumeFailure::Unknown)?;
    let session = hub.resume(&resume.session_id, actor.id(), resume.seq.unwrap_or(0), connection)?;
    // Discord's RESUMED carries an object (`_trace`); discord.py writes into it, so null crashes it.
    session.push_own(Frame::new("RESUMED", br#"{"_trace":["guildhall"]}"#.to_vec()));
    Ok(Started { session, actor })
}

/// A session is over: its user's presence and voice state follow.
pub(crate) async fn session_ended(core: &Core, user: Id<UserMarker>, session_id: &str) {
    if let Err(error) = core.end_voice_session(user, session_id).await {
        tracing::warn!(%error, "session end: voice state not cleared");
    }
    if let Err(error) = core.end_presence(user, session_id).await {
        tracing::warn!(%error, "session end: presence not cleared");
    }
}

/// op 3, op 4 and op 8 of an established session. A body that does not fit its op closes the
/// connection with 4001; a command the domain refuses (unknown guild, missing permission) is
/// dropped, as Discord does.
pub(crate) async fn command(hub: &Hub, started: &Started, output: Output) -> Option<Close> {
    let core = hub.core();
    let session = &started.session;
    if session.lock().ended {
        // Nothing may be set for a session that is over (it would outlive it).
        return None;
    }
    let invalid = || Some(Close::from_code(CloseCode::UnknownOpcode));
    match output {
        Output::PresenceUpdate(d) => {
            let Ok(update) = UpdatePresence::deserialize(&d) else { return invalid() };
            if let Err(error) = core.set_presence(session.user_id, session.bot, &session.id, update).await {
                tracing::debug!(%error, "op 3 refused");
            }
        }
        Output::VoiceStateUpdate(d) => {
            let Ok(request) = UpdateVoiceState::deserialize(&d) else { return invalid() };
            if let Err(error) = core.update_voice_state(&started.actor, &session.id, request).await {
                tracing::debug!(%error, "op 4 refused");
            }
        }
        Output::RequestGuildMembers(d) => {
            let Ok(mut request) = RequestGuildMembers::deserialize(&d) else { return invalid() };
            request_members(hub, started, &mut request).await;
        }
        _ => {}
    }
    None
}

/// op 8 → GUILD_MEMBERS_CHUNK dispatches (protocol.md §2.4). The whole member list needs
/// GUILD_MEMBERS and presences need GUILD_PRESENCES; without them Discord answers with nothing
/// for the list and no presences, so clients waiting on a nonce get an empty chunk here rather
/// than a timeout.
async fn request_members(hub: &Hub, started: &Started, request: &mut RequestGuildMembers) {
    let session = &started.session;
    if !session.intents.contains(Intents::GUILD_PRESENCES) {
        request.presences = false;
    }
    let whole_list = request.user_ids.is_none() && request.query.as_deref().unwrap_or("").is_empty();
    if whole_list && session.intents.contains(Intents::GUILD_MEMBERS) {
        // One whole-list request per guild per account every 30 s (protocol.md §1.7).
        if let Some(retry_after) = hub.member_list_cooldown(session.user_id, request.guild_id) {
            let mut meta = serde_json::json!({ "guild_id": request.guild_id });
            if let Some(nonce) = request.valid_nonce() {
                meta["nonce"] = serde_json::json!(nonce);
            }
            let data = serde_json::json!({ "opcode": 8, "retry_after": retry_after.as_secs_f64(), "meta": meta });
            session.push_own(Frame::json("RATE_LIMITED", &data));
            return;
        }
    }
    let result = if whole_list && !session.intents.contains(Intents::GUILD_MEMBERS) {
        Ok(guildhall_core::MembersResult::default())
    } else {
        hub.core().request_guild_members(&started.actor, request).await
    };
    match result {
        Ok(result) => {
            for chunk in result.into_chunks(request) {
                session.push_own(Frame::json("GUILD_MEMBERS_CHUNK", &serde_json::to_value(&chunk).unwrap_or_default()));
            }
        }
        Err(error) => tracing::debug!(%error, "op 8 refused"),
    }
}
