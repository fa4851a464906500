//! Presences (protocol.md §1.3 op 3, §2.3 PRESENCE_UPDATE), held in memory per node.
//!
//! Each gateway session of a user sets its own status and activities; what other users see is
//! the presence of the session updated most recently, with `invisible` shown as `offline` and an
//! offline user's activities hidden. When that visible presence changes, every guild the user
//! is in gets one PRESENCE_UPDATE (GUILD_PRESENCES intent).
//!
//! The registry is per process: with several nodes each node knows only its own sessions'
//! presences (the cluster work will have to share them).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use guildhall_bus::Event;
use guildhall_model::Id;
use guildhall_model::flags::Intents;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use guildhall_model::presence::{Activity, ClientStatus, Presence, PresenceUser, Status, UpdatePresence};

use super::{Core, Error, Result};

/// Guilds with at most this many online users are counted by looking each online user up;
/// beyond it, by reading the member list once.
const COUNT_BY_LOOKUP: usize = 256;

/// One session's own presence.
#[derive(Clone, Debug, PartialEq)]
struct SessionPresence {
    session_id: String,
    status: Status,
    activities: Vec<Activity>,
}

/// What other users see of someone.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Visible {
    pub(crate) status: Status,
    pub(crate) activities: Vec<Activity>,
}

impl Visible {
    const OFFLINE: Self = Self { status: Status::Offline, activities: Vec::new() };

    /// Whether others see the user as online, idle or dnd.
    pub(crate) fn is_online(&self) -> bool {
        self.status != Status::Offline
    }

    /// The presence object for `user`; `guild_id` only in PRESENCE_UPDATE.
    pub(crate) fn render(&self, user: Id<UserMarker>, guild_id: Option<Id<GuildMarker>>) -> Presence {
        // Sessions do not report their platform yet; every session counts as a desktop client.
        let client_status = if self.is_online() {
            ClientStatus { desktop: Some(self.status), ..ClientStatus::default() }
        } else {
            ClientStatus::default()
        };
        Presence {
            user: PresenceUser { id: user },
            guild_id,
            status: self.status,
            activities: self.activities.clone(),
            client_status,
        }
    }
}

/// Every user's sessions' presences. Per user, sessions are ordered by last update (the last
/// one is what others see).
#[derive(Debug, Default)]
pub(crate) struct PresenceRegistry {
    users: Mutex<HashMap<Id<UserMarker>, Vec<SessionPresence>>>,
}

impl PresenceRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<Id<UserMarker>, Vec<SessionPresence>>> {
        // A panic while holding the lock cannot leave the map half-written (every update is a
        // single insert or remove), so a poisoned lock is still safe to use.
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn visible_of(sessions: Option<&Vec<SessionPresence>>) -> Visible {
        match sessions.and_then(|s| s.last()) {
            Some(last) if last.status.visible() != Status::Offline => {
                Visible { status: last.status, activities: last.activities.clone() }
            }
            _ => Visible::OFFLINE,
        }
    }

    /// Records `session_id`'s presence; returns what others saw before and see now.
    fn set(
        &self,
        user: Id<UserMarker>,
        session_id: &str,
        status: Status,
        activities: Vec<Activity>,
    ) -> (Visible, Visible) {
        let mut users = self.lock();
        let sessions = users.entry(user).or_default();
        let before = Self::visible_of(Some(sessions));
        sessions.retain(|s| s.session_id != session_id);
        sessions.push(SessionPresence { session_id: session_id.to_owned(), status, activities });
        (before, Self::visible_of(Some(sessions)))
    }

    /// Forgets `session_id`; returns what others saw before and see now.
    fn end(&self, user: Id<UserMarker>, session_id: &str) -> (Visible, Visible) {
        let mut users = self.lock();
        let before = Self::visible_of(users.get(&user));
        if let Some(sessions) = users.get_mut(&user) {
            sessions.retain(|s| s.session_id != session_id);
            if sessions.is_empty() {
                users.remove(&user);
            }
        }
        (before, Self::visible_of(users.get(&user)))
    }

    /// What others see of `user`.
    pub(crate) fn visible(&self, user: Id<UserMarker>) -> Visible {
        Self::visible_of(self.lock().get(&user))
    }

    /// Users others see as online, idle or dnd.
    pub(crate) fn online_users(&self) -> Vec<Id<UserMarker>> {
        self.lock().iter().filter(|(_, s)| Self::visible_of(Some(s)).is_online()).map(|(id, _)| *id).collect()
    }
}

impl Core {
    /// op 3 (and IDENTIFY's `presence`; a session that identified without one should call this
    /// with `UpdatePresence::default()`, i.e. online): records `session_id`'s status and
    /// activities. Bots keep only `name`, `state`, `type` and `url` of each activity; a missing
    /// `created_at` is stamped now. When what others see of the user changed, PRESENCE_UPDATE
    /// goes to each guild the user is in.
    pub async fn set_presence(
        &self,
        user: Id<UserMarker>,
        is_bot: bool,
        session_id: &str,
        update: UpdatePresence,
    ) -> Result<()> {
        let now_ms = u64::try_from(self.now().as_millis()).unwrap_or(0);
        let activities = update
            .activities
            .into_iter()
            .map(|a| if is_bot { a.bot_subset() } else { a })
            .map(|mut a| {
                if a.created_at == 0 {
                    a.created_at = now_ms;
                }
                a
            })
            .collect();
        let (before, after) = self.presences.set(user, session_id, update.status, activities);
        self.publish_presence_change(user, &before, &after).await
    }

    /// The gateway session `session_id` ended (closed and not resumable, or its resume window
    /// passed): forgets its presence. When it was the user's last session the user goes offline.
    pub async fn end_presence(&self, user: Id<UserMarker>, session_id: &str) -> Result<()> {
        let (before, after) = self.presences.end(user, session_id);
        self.publish_presence_change(user, &before, &after).await
    }

    /// What other users see of `user` (`guild_id` unset), or `None` when offline or invisible.
    pub fn presence(&self, user: Id<UserMarker>) -> Option<Presence> {
        let visible = self.presences.visible(user);
        visible.is_online().then(|| visible.render(user, None))
    }

    /// How many members of `guild_id` are online, idle or dnd (`approximate_presence_count`).
    pub async fn presence_count(&self, guild_id: Id<GuildMarker>) -> Result<u64> {
        let online = self.presences.online_users();
        let mut count = 0_u64;
        if online.len() <= COUNT_BY_LOOKUP {
            for user in online {
                if self.store().member(guild_id, user).await?.is_some() {
                    count += 1;
                }
            }
        } else {
            let online: std::collections::HashSet<_> = online.into_iter().collect();
            let members = self.guild_members(guild_id).await?;
            count = members.iter().filter(|m| online.contains(&m.user_id)).count() as u64;
        }
        Ok(count)
    }

    async fn publish_presence_change(&self, user: Id<UserMarker>, before: &Visible, after: &Visible) -> Result<()> {
        if before == after {
            return Ok(());
        }
        for guild_id in self.store().guild_ids_for_user(user).await? {
            let data = serde_json::to_value(after.render(user, Some(guild_id))).map_err(|e| Error::internal(&e))?;
            self.publish(Event::guild("PRESENCE_UPDATE", guild_id, None, Intents::GUILD_PRESENCES, data)).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use guildhall_model::presence::ActivityType;

    use super::*;

    fn user(n: u64) -> Id<UserMarker> {
        Id::new_checked(n).unwrap()
    }

    fn playing(name: &str) -> Vec<Activity> {
        vec![Activity { name: name.into(), kind: ActivityType::Playing, created_at: 1, ..Activity::default() }]
    }

    #[test]
    fn most_recent_session_wins_and_last_end_goes_offline() {
        let reg = PresenceRegistry::default();
        let (before, after) = reg.set(user(1), "a", Status::Online, playing("x"));
        assert_eq!((before.status, after.status), (Status::Offline, Status::Online));
        let (_, after) = reg.set(user(1), "b", Status::Dnd, vec![]);
        assert_eq!((after.status, after.activities.len()), (Status::Dnd, 0));
        // Updating "a" again makes it the most recent.
        let (_, after) = reg.set(user(1), "a", Status::Idle, playing("y"));
        assert_eq!(after, Visible { status: Status::Idle, activities: playing("y") });
        // Ending the most recent falls back to the other session.
        let (_, after) = reg.end(user(1), "a");
        assert_eq!(after.status, Status::Dnd);
        assert_eq!(reg.online_users(), vec![user(1)]);
        let (before, after) = reg.end(user(1), "b");
        assert_eq!((before.status, after), (Status::Dnd, Visible::OFFLINE));
        assert!(reg.online_users().is_empty());
        // Ending an unknown session changes nothing.
        let (before, after) = reg.end(user(2), "zz");
        assert_eq!(before, after);
    }

    #[test]
    fn invisible_and_offline_hide_activities() {
        let reg = PresenceRegistry::default();
        let (_, after) = reg.set(user(1), "a", Status::Invisible, playing("x"));
        assert_eq!(after, Visible::OFFLINE);
        let (_, after) = reg.set(user(1), "b", Status::Offline, playing("x"));
        assert_eq!(after, Visible::OFFLINE);
        assert!(reg.online_users().is_empty());
    }

    #[test]
    fn render_shapes() {
        let online = Visible { status: Status::Idle, activities: playing("x") };
        let p = online.render(user(3), None);
        assert_eq!(p.client_status.desktop, Some(Status::Idle));
        assert_eq!(p.guild_id, None);
        let off = Visible::OFFLINE.render(user(3), Some(Id::new_checked(4).unwrap()));
        assert_eq!(off.client_status, ClientStatus::default());
        assert_eq!(off.status, Status::Offline);
    }
}
