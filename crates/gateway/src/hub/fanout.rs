//! The fan-out: the one task per node that reads the bus and hands each event to the sessions
//! that asked for it (intents) and may see it (permissions, from [`GuildView`]).

use std::collections::HashMap;
use std::sync::Arc;

use guildhall_bus::{Audience, Event, Received, Subscription};
use guildhall_model::Id;
use guildhall_model::flags::{Intents, Permissions};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};

use super::session::Pushed;
use super::view::GuildView;
use super::{Hub, Session};

/// Members read per store call when a guild's members are loaded in bulk.
const MEMBER_PAGE: u32 = 1000;
use crate::outbox::Frame;

/// Events routed before the sessions they reached are woken: whatever is already waiting on
/// the bus goes out with the event at hand, one wake-up per session per batch.
const EVENT_BATCH: usize = 32;

/// Below this many sessions of unknown members, the first permission check of a guild reads
/// their member records one by one; above it (and when they are a good part of the guild), it
/// reads the guild's member list in pages instead.
const BULK_MEMBERS: usize = 32;

/// Reads the bus until it closes.
pub(super) async fn run(hub: Arc<Hub>, mut subscription: Subscription) {
    let mut fanout = Fanout { hub, views: HashMap::new(), owed: Vec::new() };
    while let Some(received) = subscription.recv().await {
        fanout.receive(received).await;
        for _ in 1..EVENT_BATCH {
            let Some(received) = subscription.try_recv() else { break };
            fanout.receive(received).await;
        }
        for session in fanout.owed.drain(..) {
            session.wake();
        }
    }
}

struct Fanout {
    hub: Arc<Hub>,
    views: HashMap<Id<GuildMarker>, GuildView>,
    /// Sessions with frames queued by this batch and not yet woken.
    owed: Vec<Arc<Session>>,
}

/// The event's body in the two forms sessions may get, each serialized at most once.
struct Bodies<'a> {
    event: &'a Event,
    full: Arc<Frame>,
    without_content: Option<Arc<Frame>>,
}

impl Bodies<'_> {
    /// The body for `session`: without MESSAGE_CONTENT a bot gets guild messages emptied,
    /// except its own and those mentioning it (protocol.md §1.6).
    fn for_session(&mut self, session: &Session, in_guild: bool) -> Arc<Frame> {
        let is_message = matches!(self.event.name, "MESSAGE_CREATE" | "MESSAGE_UPDATE");
        if !is_message || !in_guild || !session.bot || session.intents.contains(Intents::MESSAGE_CONTENT) {
            return self.full.clone();
        }
        let data = &*self.event.data;
        let me = session.user_id.to_string();
        let own = data["author"]["id"].as_str() == Some(me.as_str());
        let mentioned = data["mentions"].as_array().is_some_and(|m| m.iter().any(|u| u["id"].as_str() == Some(&me)));
        if own || mentioned {
            return self.full.clone();
        }
        self.without_content.get_or_insert_with(|| Frame::json(self.event.name, &strip_content(data))).clone()
    }
}

/// A message as a bot without MESSAGE_CONTENT sees it.
fn strip_content(data: &serde_json::Value) -> serde_json::Value {
    let mut data = data.clone();
    if let Some(map) = data.as_object_mut() {
        clear_message(map);
        // The message replied to is a message object too (content withheld the same way).
        if let Some(inner) = map.get_mut("referenced_message").and_then(|m| m.as_object_mut()) {
            clear_message(inner);
        }
        if let Some(snapshots) = map.get_mut("message_snapshots").and_then(|s| s.as_array_mut()) {
            for snapshot in snapshots {
                if let Some(inner) = snapshot.get_mut("message").and_then(|m| m.as_object_mut()) {
                    clear_message(inner);
                }
            }
        }
    }
    data
}

fn clear_message(map: &mut serde_json::Map<String, serde_json::Value>) {
    if map.contains_key("content") {
        map.insert("content".to_owned(), serde_json::json!(""));
    }
    for key in ["embeds", "attachments", "components"] {
        if map.contains_key(key) {
            map.insert(key.to_owned(), serde_json::json!([]));
        }
    }
    map.remove("poll");
}

/// Whether `session`'s intents let `event` through.
fn wants(session: &Session, event: &Event) -> bool {
    if event.intent.is_empty() || session.intents.contains(event.intent) {
        return true;
    }
    // A bot always hears about its own member record (protocol.md §1.6).
    event.name == "GUILD_MEMBER_UPDATE" && user_id(&event.data["user"]) == Some(session.user_id)
}

fn user_id(value: &serde_json::Value) -> Option<Id<UserMarker>> {
    value["id"].as_str()?.parse().ok()
}

fn id_at<T>(value: &serde_json::Value, key: &str) -> Option<Id<T>> {
    value[key].as_str()?.parse().ok()
}

/// The guild an event belongs to, read from its body.
fn event_guild(event: &Event) -> Option<Id<GuildMarker>> {
    match event.name {
        "GUILD_CREATE" | "GUILD_DELETE" => id_at(&event.data, "id"),
        _ => id_at(&event.data, "guild_id"),
    }
}

impl Fanout {
    async fn receive(&mut self, received: Received) {
        match received {
            Received::Event(event) => self.dispatch(&event).await,
            Received::Lagged(missed) => self.lagged(missed),
            _ => {}
        }
    }

    async fn dispatch(&mut self, event: &Event) {
        let full = Frame::new(event.name, serde_json::to_vec(&*event.data).unwrap_or_else(|_| b"null".to_vec()));
        let mut bodies = Bodies { event, full, without_content: None };
        match &event.audience {
            Audience::Guild { guild_id, channel_id, permission } => {
                self.route_to_guild(&mut bodies, *guild_id, *channel_id, *permission).await;
            }
            Audience::Users(users) => self.route_to_users(&mut bodies, users),
            Audience::Session { user_id, session_id } => self.route_to_session(&mut bodies, *user_id, session_id),
            _ => {}
        }
    }

    async fn route_to_guild(
        &mut self,
        bodies: &mut Bodies<'_>,
        guild_id: Id<GuildMarker>,
        channel: Option<Id<ChannelMarker>>,
        permission: Permissions,
    ) {
        let event = bodies.event;
        if let Some(view) = self.views.get_mut(&guild_id) {
            view.apply(event.name, &event.data);
        }
        if event.name == "GUILD_MEMBER_REMOVE"
            && let Some(user) = user_id(&event.data["user"])
        {
            // The member is gone before the event is routed: their sessions leave the guild.
            for session in self.hub.user_sessions(user) {
                self.hub.leave_guild(guild_id, &session);
            }
        }
        let Some(sessions) = self.hub.guild_sessions(guild_id) else { return };
        let restricted = channel.is_some() || !permission.is_empty();
        if restricted {
            self.load_members(guild_id, &sessions).await;
        }
        let now = self.hub.core.now();
        let max_backlog = self.hub.config.max_backlog;
        for session in sessions.iter() {
            if !wants(session, event) {
                continue;
            }
            if restricted && !self.allowed(guild_id, session.user_id, channel, permission, now).await {
                continue;
            }
            if session.enqueue(bodies.for_session(session, true), max_backlog) == Pushed::Queued && session.owe_wake() {
                self.owed.push(session.clone());
            }
        }
    }

    /// Loads the guild's view and, when many sessions' members are not in it yet (the guild's
    /// first restricted event after a wave of IDENTIFYs), their member records in pages rather
    /// than one store read each.
    async fn load_members(&mut self, guild_id: Id<GuildMarker>, sessions: &[Arc<Session>]) {
        let store = self.hub.core.store();
        let view = match self.views.entry(guild_id) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => match GuildView::load(store, guild_id).await {
                Ok(Some(view)) => entry.insert(view),
                // `allowed` reports (and withholds) as before.
                Ok(None) | Err(_) => return,
            },
        };
        let mut unknown: Vec<Id<UserMarker>> =
            sessions.iter().map(|s| s.user_id).filter(|u| !view.knows_member(*u)).collect();
        if unknown.len() < BULK_MEMBERS {
            return;
        }
        unknown.sort_unstable();
        unknown.dedup();
        // Paging the whole list only pays when these members are a good part of the guild.
        match store.member_count(guild_id).await {
            Ok(count) if count <= unknown.len() as u64 * 8 => {}
            _ => return,
        }
        let mut after = None;
        loop {
            let page = match store.members(guild_id, after, MEMBER_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, %guild_id, "member list not loaded; reading one by one");
                    return;
                }
            };
            for record in &page {
                if unknown.binary_search(&record.user_id).is_ok() {
                    view.set_member(record.user_id, Some(record));
                }
            }
            if page.len() < MEMBER_PAGE as usize {
                break;
            }
            after = page.last().map(|m| m.user_id);
        }
        // Not in the list: not members (they are about to get a GUILD_MEMBER_REMOVE/DELETE).
        for user in unknown {
            if !view.knows_member(user) {
                view.set_member(user, None);
            }
        }
    }

    async fn allowed(
        &mut self,
        guild_id: Id<GuildMarker>,
        user: Id<UserMarker>,
        channel: Option<Id<ChannelMarker>>,
        permission: Permissions,
        now: guildhall_model::Timestamp,
    ) -> bool {
        let store = self.hub.core.store();
        let view = match self.views.entry(guild_id) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => match GuildView::load(store, guild_id).await {
                Ok(Some(view)) => entry.insert(view),
                Ok(None) => return false,
                Err(error) => {
                    tracing::warn!(%error, %guild_id, "guild state not loaded; event withheld");
                    return false;
                }
            },
        };
        if !view.knows_member(user) {
            match store.member(guild_id, user).await {
                Ok(record) => view.set_member(user, record.as_ref()),
                Err(error) => {
                    tracing::warn!(%error, %guild_id, "member not loaded; event withheld");
                    return false;
                }
            }
        }
        view.allows(user, channel, permission, now)
    }

    fn route_to_users(&mut self, bodies: &mut Bodies<'_>, users: &[Id<UserMarker>]) {
        let event = bodies.event;
        let guild = event_guild(event);
        if let Some(view) = guild.and_then(|g| self.views.get_mut(&g)) {
            view.apply(event.name, &event.data);
        }
        let max_backlog = self.hub.config.max_backlog;
        for user in users {
            for session in self.hub.user_sessions(*user) {
                let deliver = match (event.name, guild) {
                    ("GUILD_CREATE" | "GUILD_DELETE", Some(g)) => session.owns_guild(g),
                    (_, Some(g)) => session.lock().guilds.contains(&g),
                    (_, None) => session.owns_direct(),
                };
                if !deliver {
                    continue;
                }
                // Membership, not the GUILDS intent, decides whose events a session gets: a
                // session without GUILDS still subscribes and unsubscribes here.
                // GUILD_CREATE: subscribe first so the guild's next events follow it.
                if let ("GUILD_CREATE", Some(g)) = (event.name, guild) {
                    self.hub.join_guild(g, &session);
                }
                if wants(&session, event) {
                    session.push(bodies.for_session(&session, guild.is_some()), max_backlog);
                }
                if let ("GUILD_DELETE", Some(g)) = (event.name, guild) {
                    self.hub.leave_guild(g, &session);
                }
            }
        }
        if event.name == "GUILD_DELETE"
            && let Some(g) = guild
            && self.hub.guild_sessions(g).is_none()
        {
            self.views.remove(&g);
        }
    }

    fn route_to_session(&mut self, bodies: &mut Bodies<'_>, user: Id<UserMarker>, session_id: &str) {
        let max_backlog = self.hub.config.max_backlog;
        let guild = event_guild(bodies.event).is_some();
        for session in self.hub.user_sessions(user) {
            if *session.id == *session_id && wants(&session, bodies.event) {
                session.push(bodies.for_session(&session, guild), max_backlog);
            }
        }
    }

    /// The bus dropped events for this node: every session may have missed some, and the
    /// cached guild state may be stale. Sessions are ended (clients resume, get op 9 and
    /// identify afresh, which rebuilds their state) and the views reloaded on demand.
    fn lagged(&mut self, missed: u64) {
        tracing::error!(missed, "gateway fan-out fell behind the bus; ending every session");
        self.views.clear();
        let sessions: Vec<_> = self.hub.registry().sessions.values().cloned().collect();
        for session in sessions {
            self.hub.end(&session);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stripping_empties_content_embeds_attachments_components_and_snapshots() {
        let data = serde_json::json!({
            "id": "1", "content": "secret", "embeds": [{"title": "t"}], "attachments": [{"id": "2"}],
            "components": [{"type": 1}], "poll": {}, "author": {"id": "3"},
            "message_snapshots": [{"message": {"content": "fwd", "embeds": [{}]}}],
            "referenced_message": {"id": "0", "content": "replied to", "attachments": [{"id": "4"}]}
        });
        let s = strip_content(&data);
        assert_eq!(s["content"], "");
        assert_eq!(s["embeds"], serde_json::json!([]));
        assert_eq!(s["attachments"], serde_json::json!([]));
        assert_eq!(s["components"], serde_json::json!([]));
        assert!(s.get("poll").is_none());
        assert_eq!(s["message_snapshots"][0]["message"]["content"], "");
        assert_eq!(s["referenced_message"]["content"], "");
        assert_eq!(s["referenced_message"]["attachments"], serde_json::json!([]));
        assert_eq!(s["referenced_message"]["id"], "0");
        assert_eq!(s["author"]["id"], "3");
    }
}
