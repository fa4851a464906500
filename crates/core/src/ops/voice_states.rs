//! Voice states (protocol.md §1.3 op 4, §2.3 VOICE_STATE_UPDATE, §3.6 "Voice state"), held in
//! memory per node: who is connected to which voice channel of each guild, from which gateway
//! session, with which self-mute/deafen flags.
//!
//! One user has at most one voice state per guild; a join from another session replaces it
//! (Discord moves the voice connection to the newest session). Every change fires
//! VOICE_STATE_UPDATE to the guild (GUILD_VOICE_STATES intent); a leave carries
//! `channel_id: null`.
//!
//! Every change is also handed to the guild's voice server ([`crate::VoiceServer`], assigned on
//! the guild's first join) *before* the events go out, so a mute or move is in force by the time
//! anyone hears of it. A join, a move, or a repeated identical op 4 (discord.js "rejoin") gets a
//! fresh voice token, sent as VOICE_SERVER_UPDATE to the requesting session right after
//! VOICE_STATE_UPDATE: @discordjs/voice ignores the server update until it has the state.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use guildhall_bus::Event;
use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::commands::UpdateVoiceState;
use guildhall_model::flags::Intents;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::voice::VoiceState;
use guildhall_model::{Id, Nullable, Permissions};
use guildhall_store::MemberRecord;

use super::{Actor, Code, Core, Error, GuildAccess, Result, views};
use crate::VoiceGrant;

type Guilds = HashMap<Id<GuildMarker>, BTreeMap<Id<UserMarker>, VoiceState>>;

/// The channel is at its `user_limit`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ChannelFull;

/// Every guild's voice states, each stored with `guild_id` set and without `member`.
#[derive(Debug, Default)]
pub(crate) struct VoiceRegistry {
    guilds: Mutex<Guilds>,
}

impl VoiceRegistry {
    fn lock(&self) -> MutexGuard<'_, Guilds> {
        // Every update is one insert or remove, so a poisoned map is still consistent.
        self.guilds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `state` (a join, move or flag change) unless its channel already holds `limit`
    /// other users. Staying in the same channel keeps the stage `suppress` flag and request to
    /// speak. Returns the stored state.
    pub(crate) fn join(&self, mut state: VoiceState, limit: Option<u32>) -> Result<VoiceState, ChannelFull> {
        let Some(guild_id) = state.guild_id else { return Ok(state) };
        let mut guilds = self.lock();
        let states = guilds.entry(guild_id).or_default();
        let previous = states.get(&state.user_id);
        let same_channel = previous.is_some_and(|p| p.channel_id == state.channel_id);
        if let Some(limit) = limit
            && !same_channel
        {
            let others = states.values().filter(|s| s.channel_id == state.channel_id).count();
            if others >= limit as usize {
                return Err(ChannelFull);
            }
        }
        if let Some(previous) = previous.filter(|_| same_channel) {
            state.suppress = previous.suppress;
            state.request_to_speak_timestamp = previous.request_to_speak_timestamp;
        }
        states.insert(state.user_id, state.clone());
        Ok(state)
    }

    /// Removes `user`'s state in `guild_id`.
    pub(crate) fn leave(&self, guild_id: Id<GuildMarker>, user: Id<UserMarker>) -> Option<VoiceState> {
        let mut guilds = self.lock();
        let states = guilds.get_mut(&guild_id)?;
        let removed = states.remove(&user);
        if states.is_empty() {
            guilds.remove(&guild_id);
        }
        removed
    }

    /// Removes every state matching `pred` (in any guild).
    fn remove_where(&self, pred: impl Fn(&VoiceState) -> bool) -> Vec<VoiceState> {
        let mut guilds = self.lock();
        let mut removed = Vec::new();
        for states in guilds.values_mut() {
            states.retain(|_, s| {
                let hit = pred(s);
                if hit {
                    removed.push(s.clone());
                }
                !hit
            });
        }
        guilds.retain(|_, states| !states.is_empty());
        removed
    }

    /// `user`'s state in `guild_id`.
    pub(crate) fn get(&self, guild_id: Id<GuildMarker>, user: Id<UserMarker>) -> Option<VoiceState> {
        self.lock().get(&guild_id)?.get(&user).cloned()
    }

    /// Whether anyone is connected in `guild_id`.
    fn is_empty(&self, guild_id: Id<GuildMarker>) -> bool {
        !self.lock().contains_key(&guild_id)
    }

    /// The guild's states, by user id.
    pub(crate) fn list(&self, guild_id: Id<GuildMarker>) -> Vec<VoiceState> {
        self.lock().get(&guild_id).map(|s| s.values().cloned().collect()).unwrap_or_default()
    }
}

impl Core {
    /// op 4: joins, moves to, or leaves (`channel_id: null`) a voice channel of
    /// `request.guild_id`, or changes the self-mute/deafen/video flags, for the gateway session
    /// `session_id`. 10004 unless the actor is a member; 10003 for a channel not in that guild;
    /// 50024 for a channel that is not voice or stage; 50001 without VIEW_CHANNEL there; 50013
    /// without CONNECT, or when the channel is at its `user_limit` and the actor lacks
    /// MOVE_MEMBERS. Fires VOICE_STATE_UPDATE and returns the new state (with `member`), or
    /// `None` after a leave. A leave while not connected tells only the actor (so a client
    /// waiting for the event is not left hanging).
    pub async fn update_voice_state(
        &self,
        actor: &Actor,
        session_id: &str,
        request: UpdateVoiceState,
    ) -> Result<Option<VoiceState>> {
        let guild_id = request.guild_id;
        // Serialized with member updates of the guild: a server mute landing between reading
        // the member record and storing this state would otherwise be overwritten, and the
        // voice server could see the two grants in the other order.
        let _guard = self.lock(guild_id.get()).await;
        let access = self.guild_access(actor, guild_id).await?;
        let Some(channel_id) = request.channel_id else {
            let left = self.voice.leave(guild_id, actor.id());
            let connected = left.is_some();
            if let Some(left) = &left {
                self.revoke_voice(left, false);
            }
            let mut state =
                left.unwrap_or_else(|| new_voice_state(guild_id, actor.id(), session_id, &access.member, &request));
            state.channel_id = None;
            state.session_id = session_id.to_owned();
            state.member = Some(views::member(&access.member, Some(&actor.user)));
            let data = serde_json::to_value(&state).map_err(|e| Error::internal(&e))?;
            let event = if connected {
                Event::guild("VOICE_STATE_UPDATE", guild_id, None, Intents::GUILD_VOICE_STATES, data)
            } else {
                Event::users("VOICE_STATE_UPDATE", vec![actor.id()], Intents::GUILD_VOICE_STATES, data)
            };
            self.publish(event).await;
            return Ok(None);
        };
        let (channel, permissions) = self.connectable_channel(&access, channel_id).await?;
        let limit = channel.user_limit.filter(|n| *n > 0 && !permissions.contains(Permissions::MOVE_MEMBERS));
        let mut state = new_voice_state(guild_id, actor.id(), session_id, &access.member, &request);
        state.channel_id = Some(channel_id);
        // Stage audiences join suppressed until invited to speak.
        state.suppress = channel.kind == ChannelType::GuildStageVoice;
        let previous = self.voice.get(guild_id, actor.id());
        let mut state = self.voice.join(state, limit).map_err(|_| Error::code(Code::MissingPermissions))?;
        // Only a change of self flags in the same channel keeps the voice connection; anything
        // else (join, move, another session, or the same request again) needs a new token.
        let flags = |s: &VoiceState| (s.self_mute, s.self_deaf, s.self_video, s.self_stream);
        let fresh = previous.is_none_or(|p| {
            p.channel_id != state.channel_id || p.session_id != state.session_id || flags(&p) == flags(&state)
        });
        state.member = Some(views::member(&access.member, Some(&actor.user)));
        self.publish_voice_state(&state, fresh, rtc_region(&channel)).await?;
        Ok(Some(state))
    }

    /// Hands `state` to the guild's voice server (assigning one if the guild has none), then
    /// fires VOICE_STATE_UPDATE to the guild and, when `fresh`, VOICE_SERVER_UPDATE with a new
    /// token to the state's session. Without any registered voice server there is no
    /// VOICE_SERVER_UPDATE (clients keep waiting, as they do for Discord's `endpoint: null`).
    pub(crate) async fn publish_voice_state(
        &self,
        state: &VoiceState,
        fresh: bool,
        region: Option<&str>,
    ) -> Result<()> {
        let Some(guild_id) = state.guild_id else { return Ok(()) };
        let server = self.voice_servers.assign(guild_id, region);
        let token = fresh.then(voice_token);
        if let Some(server) = &server {
            server.apply(grant(guild_id, state, token.clone()));
        } else {
            tracing::warn!(%guild_id, "no voice server registered; VOICE_SERVER_UPDATE withheld");
        }
        let data = serde_json::to_value(state).map_err(|e| Error::internal(&e))?;
        self.publish(Event::guild("VOICE_STATE_UPDATE", guild_id, None, Intents::GUILD_VOICE_STATES, data)).await;
        if let (Some(server), Some(token)) = (server, token) {
            let data = serde_json::json!({ "token": token, "guild_id": guild_id, "endpoint": server.endpoint() });
            self.publish(Event::session(
                "VOICE_SERVER_UPDATE",
                state.user_id,
                &state.session_id,
                Intents::empty(),
                data,
            ))
            .await;
        }
        Ok(())
    }

    /// `state` was removed from the registry: its voice server ends the connection, and a guild
    /// nobody is connected to any more gives its voice server back.
    /// `terminated`: the channel or guild went away, not the member.
    fn revoke_voice(&self, state: &VoiceState, terminated: bool) {
        let Some(guild_id) = state.guild_id else { return };
        if let Some(server) = self.voice_servers.assigned(guild_id) {
            let mut gone = state.clone();
            gone.channel_id = None;
            server.apply(VoiceGrant { terminated, ..grant(guild_id, &gone, None) });
        }
        if self.voice.is_empty(guild_id) {
            self.voice_servers.release(guild_id);
        }
    }

    /// `user`'s voice state in `guild_id`, if connected.
    pub(crate) fn voice_state_of(&self, guild_id: Id<GuildMarker>, user: Id<UserMarker>) -> Option<VoiceState> {
        self.voice.get(guild_id, user)
    }

    /// A voice or stage channel of the guild (10003, 50024) that the actor may view (50001) and
    /// connect to (50013): where op 4 joins and where a moderator moves someone. Returns the
    /// actor's permissions there too.
    pub(crate) async fn connectable_channel(
        &self,
        access: &GuildAccess,
        channel_id: Id<ChannelMarker>,
    ) -> Result<(Channel, Permissions)> {
        let channel = self
            .store()
            .channel(channel_id)
            .await?
            .filter(|c| c.guild_id == Some(access.guild.id))
            .ok_or_else(|| Error::code(Code::UnknownChannel))?;
        if !channel.kind.is_voice() {
            return Err(Error::code(Code::WrongChannelType));
        }
        let permissions = access.channel_permissions(&channel, None);
        if !permissions.contains(Permissions::VIEW_CHANNEL) {
            return Err(Error::code(Code::MissingAccess));
        }
        if !permissions.contains(Permissions::CONNECT) {
            return Err(Error::code(Code::MissingPermissions));
        }
        Ok((channel, permissions))
    }

    /// A moderator changed a connected member: server mute/deafen from `record`, and a move to
    /// `to` (`Some(None)` disconnects). A move issues a new voice token, as Discord does.
    pub(crate) async fn moderate_voice(
        &self,
        guild_id: Id<GuildMarker>,
        record: &MemberRecord,
        user: &User,
        to: Option<Option<Channel>>,
    ) -> Result<()> {
        let Some(mut state) = self.voice.get(guild_id, user.id) else { return Ok(()) };
        let mut region = None;
        let mut moved = false;
        match &to {
            Some(None) => {
                if let Some(left) = self.voice.leave(guild_id, user.id) {
                    self.publish_voice_leave(left, Some(user), false).await?;
                }
                return Ok(());
            }
            Some(Some(channel)) => {
                moved = state.channel_id != Some(channel.id);
                if moved {
                    state.suppress = channel.kind == ChannelType::GuildStageVoice;
                    state.request_to_speak_timestamp = None;
                }
                state.channel_id = Some(channel.id);
                region = rtc_region(channel);
            }
            None => {}
        }
        state.mute = record.mute;
        state.deaf = record.deaf;
        // Moderators are not bound by the channel's user limit.
        let mut state = self.voice.join(state, None).map_err(|_| Error::code(Code::MissingPermissions))?;
        state.member = Some(views::member(record, Some(user)));
        self.publish_voice_state(&state, moved, region).await
    }

    /// The gateway session `session_id` of `user` ended: leaves every guild's voice channel
    /// where the voice state belongs to that session (VOICE_STATE_UPDATE with
    /// `channel_id: null` each).
    pub async fn end_voice_session(&self, user: Id<UserMarker>, session_id: &str) -> Result<()> {
        let removed = self.voice.remove_where(|s| s.user_id == user && s.session_id == session_id);
        if removed.is_empty() {
            return Ok(());
        }
        let user_record = self.store().user(user).await?.map(|u| u.user);
        for state in removed {
            self.publish_voice_leave(state, user_record.as_ref(), false).await?;
        }
        Ok(())
    }

    /// The guild's voice states (`guild_id` set, `member` omitted), by user id.
    pub fn voice_states(&self, guild_id: Id<GuildMarker>) -> Vec<VoiceState> {
        self.voice.list(guild_id)
    }

    /// `user` left `guild_id` (left, kicked or banned): disconnects them from its voice.
    pub(crate) async fn drop_member_voice(&self, guild_id: Id<GuildMarker>, user: Id<UserMarker>) -> Result<()> {
        if let Some(state) = self.voice.leave(guild_id, user) {
            self.publish_voice_leave(state, None, false).await?;
        }
        Ok(())
    }

    /// The voice channel `channel_id` was deleted: disconnects everyone in it.
    pub(crate) async fn drop_channel_voice(&self, channel_id: Id<ChannelMarker>) -> Result<()> {
        for state in self.voice.remove_where(|s| s.channel_id == Some(channel_id)) {
            self.publish_voice_leave(state, None, true).await?;
        }
        Ok(())
    }

    /// The guild was deleted: its voice states go without events (GUILD_DELETE tells clients
    /// to drop the whole guild).
    pub(crate) fn forget_guild_voice(&self, guild_id: Id<GuildMarker>) {
        for state in self.voice.remove_where(|s| s.guild_id == Some(guild_id)) {
            self.revoke_voice(&state, true);
        }
    }

    /// Fires the leave (`channel_id: null`) for a removed state, with `member` when the user is
    /// still a member of the guild. `terminated`: the channel went away, not the member.
    pub(crate) async fn publish_voice_leave(
        &self,
        mut state: VoiceState,
        user: Option<&User>,
        terminated: bool,
    ) -> Result<()> {
        let Some(guild_id) = state.guild_id else { return Ok(()) };
        self.revoke_voice(&state, terminated);
        state.channel_id = None;
        if let Some(user) = user
            && let Some(record) = self.store().member(guild_id, state.user_id).await?
        {
            state.member = Some(views::member(&record, Some(user)));
        }
        let data = serde_json::to_value(&state).map_err(|e| Error::internal(&e))?;
        self.publish(Event::guild("VOICE_STATE_UPDATE", guild_id, None, Intents::GUILD_VOICE_STATES, data)).await;
        Ok(())
    }
}

/// What the voice server enforces for `state`.
fn grant(guild_id: Id<GuildMarker>, state: &VoiceState, token: Option<String>) -> VoiceGrant {
    VoiceGrant {
        guild_id,
        user_id: state.user_id,
        session_id: state.session_id.clone(),
        channel_id: state.channel_id,
        token,
        muted: state.mute || state.suppress,
        deafened: state.deaf || state.self_deaf,
        terminated: false,
    }
}

/// A voice token: 16 random bytes as hex, like Discord's.
fn voice_token() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The channel's region override, which picks the voice server's region.
fn rtc_region(channel: &Channel) -> Option<&str> {
    match &channel.rtc_region {
        Some(Nullable::Value(region)) => Some(region.as_str()),
        _ => None,
    }
}

/// A fresh voice state of `user` from the member record and the op 4 flags (no channel yet).
fn new_voice_state(
    guild_id: Id<GuildMarker>,
    user: Id<UserMarker>,
    session_id: &str,
    member: &MemberRecord,
    request: &UpdateVoiceState,
) -> VoiceState {
    VoiceState {
        guild_id: Some(guild_id),
        channel_id: None,
        user_id: user,
        member: None,
        session_id: session_id.to_owned(),
        deaf: member.deaf,
        mute: member.mute,
        self_deaf: request.self_deaf,
        self_mute: request.self_mute,
        self_stream: Some(request.self_stream),
        self_video: request.self_video,
        suppress: false,
        request_to_speak_timestamp: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(user: u64, channel: u64, session: &str) -> VoiceState {
        VoiceState {
            guild_id: Some(Id::new_checked(1).unwrap()),
            channel_id: Some(Id::new_checked(channel).unwrap()),
            user_id: Id::new_checked(user).unwrap(),
            member: None,
            session_id: session.to_owned(),
            deaf: false,
            mute: false,
            self_deaf: false,
            self_mute: false,
            self_stream: Some(false),
            self_video: false,
            suppress: false,
            request_to_speak_timestamp: None,
        }
    }

    #[test]
    fn one_state_per_user_and_user_limit() {
        let reg = VoiceRegistry::default();
        let guild = Id::new_checked(1).unwrap();
        reg.join(state(10, 5, "a"), Some(2)).unwrap();
        reg.join(state(11, 5, "b"), Some(2)).unwrap();
        assert_eq!(reg.join(state(12, 5, "c"), Some(2)), Err(ChannelFull));
        // Someone already in the full channel may change flags.
        let mut muted = state(11, 5, "b");
        muted.self_mute = true;
        assert!(reg.join(muted, Some(2)).unwrap().self_mute);
        // A join from another session replaces the user's state.
        reg.join(state(10, 6, "z"), None).unwrap();
        let list = reg.list(guild);
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].channel_id.map(Id::get), list[0].session_id.as_str()), (Some(6), "z"));
        assert_eq!(reg.remove_where(|s| s.session_id == "a"), vec![]);
        assert_eq!(reg.remove_where(|s| s.session_id == "z").len(), 1);
        assert!(reg.leave(guild, Id::new_checked(11).unwrap()).is_some());
        assert!(reg.leave(guild, Id::new_checked(11).unwrap()).is_none());
        assert!(reg.list(guild).is_empty());
    }

    #[test]
    fn staying_in_a_stage_keeps_suppress() {
        let reg = VoiceRegistry::default();
        let mut first = state(10, 5, "a");
        first.suppress = false;
        reg.join(first, None).unwrap();
        let mut again = state(10, 5, "a");
        again.suppress = true;
        assert!(!reg.join(again, None).unwrap().suppress);
    }
}
