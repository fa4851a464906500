//! What the fan-out knows about a guild to decide who may see an event: its owner, roles,
//! channels (with overwrites) and the roles of members who have sessions here.
//!
//! Loaded from the store the first time a guild's event needs a permission check, then kept
//! current by applying the events themselves in bus order. Deciding event N with the state as
//! of event N (not with whatever the store holds when the fan-out gets to it) is what makes
//! delivery exact: a message sent just before a member lost access still reaches them, one sent
//! just after does not.

use std::collections::HashMap;

use guildhall_core::permissions::{MemberPermissionContext, channel_permissions, guild_permissions};
use guildhall_model::channel::Channel;
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Id, Timestamp};
use guildhall_store::{MemberRecord, Store, StoreResult};
use serde::Deserialize;

/// A member as far as permissions go.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MemberRoles {
    roles: Vec<Id<RoleMarker>>,
    timeout: Option<Timestamp>,
}

/// One guild's permission state.
#[derive(Debug)]
pub(crate) struct GuildView {
    guild_id: Id<GuildMarker>,
    owner_id: Id<UserMarker>,
    roles: Vec<Role>,
    channels: HashMap<Id<ChannelMarker>, Channel>,
    /// `None`: known not to be a member.
    members: HashMap<Id<UserMarker>, Option<MemberRoles>>,
}

#[derive(Deserialize)]
struct UserRef {
    id: Id<UserMarker>,
}

#[derive(Deserialize)]
struct MemberPayload {
    user: UserRef,
    #[serde(default)]
    roles: Vec<Id<RoleMarker>>,
    #[serde(default)]
    communication_disabled_until: Option<Timestamp>,
}

#[derive(Deserialize)]
struct RolePayload {
    role: Role,
}

#[derive(Deserialize)]
struct RoleDeletePayload {
    role_id: Id<RoleMarker>,
}

#[derive(Deserialize)]
struct ChannelIdPayload {
    id: Id<ChannelMarker>,
}

#[derive(Deserialize)]
struct OwnerPayload {
    owner_id: Id<UserMarker>,
}

fn parse<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Option<T> {
    T::deserialize(value).ok()
}

impl GuildView {
    /// Reads the guild's current state; `None` if the guild is gone.
    pub(crate) async fn load(store: &dyn Store, guild_id: Id<GuildMarker>) -> StoreResult<Option<Self>> {
        let Some(guild) = store.guild(guild_id).await? else { return Ok(None) };
        let (roles, channels) = tokio::try_join!(store.guild_roles(guild_id), store.guild_channels(guild_id))?;
        Ok(Some(Self {
            guild_id,
            owner_id: guild.owner_id,
            roles,
            channels: channels.into_iter().map(|c| (c.id, c)).collect(),
            members: HashMap::new(),
        }))
    }

    /// Whether `user`'s member record is needed before [`GuildView::allows`] can answer.
    pub(crate) fn knows_member(&self, user: Id<UserMarker>) -> bool {
        self.members.contains_key(&user)
    }

    /// Records a member read from the store (`None`: not a member).
    pub(crate) fn set_member(&mut self, user: Id<UserMarker>, record: Option<&MemberRecord>) {
        let entry = record.map(|m| MemberRoles { roles: m.roles.clone(), timeout: m.communication_disabled_until });
        self.members.insert(user, entry);
    }

    /// Applies one event of this guild (any audience) to the view.
    pub(crate) fn apply(&mut self, name: &str, data: &serde_json::Value) {
        match name {
            "GUILD_UPDATE" => {
                if let Some(OwnerPayload { owner_id }) = parse(data) {
                    self.owner_id = owner_id;
                }
            }
            "GUILD_ROLE_CREATE" | "GUILD_ROLE_UPDATE" => {
                if let Some(RolePayload { role }) = parse(data) {
                    match self.roles.iter_mut().find(|r| r.id == role.id) {
                        Some(slot) => *slot = role,
                        None => self.roles.push(role),
                    }
                }
            }
            "GUILD_ROLE_DELETE" => {
                if let Some(RoleDeletePayload { role_id }) = parse(data) {
                    self.roles.retain(|r| r.id != role_id);
                }
            }
            // A CHANNEL_DELETE sent to the members who lost sight of a channel carries the
            // channel as it now is, so every channel event is an upsert; a deleted channel's
            // entry is never consulted again (no event names it any more).
            "CHANNEL_CREATE" | "CHANNEL_UPDATE" | "CHANNEL_DELETE" | "THREAD_CREATE" | "THREAD_UPDATE" => {
                if let Some(channel) = parse::<Channel>(data)
                    && channel.guild_id == Some(self.guild_id)
                {
                    self.channels.insert(channel.id, channel);
                }
            }
            "THREAD_DELETE" => {
                if let Some(ChannelIdPayload { id }) = parse(data) {
                    self.channels.remove(&id);
                }
            }
            "GUILD_MEMBER_ADD" | "GUILD_MEMBER_UPDATE" => {
                if let Some(MemberPayload { user, roles, communication_disabled_until }) = parse(data) {
                    self.members.insert(user.id, Some(MemberRoles { roles, timeout: communication_disabled_until }));
                }
            }
            // Forgotten, not remembered as "not a member": an entry per user who ever left
            // would grow without bound. The user's sessions left the guild's fan-out with this
            // event, so nothing consults the entry until they join again (and are looked up).
            "GUILD_MEMBER_REMOVE" => {
                if let Some(MemberPayload { user, .. }) = parse(data) {
                    self.members.remove(&user.id);
                }
            }
            _ => {}
        }
    }

    /// Whether `user` may receive an event restricted to `channel` (VIEW_CHANNEL there) and, if
    /// `any_of` is not empty, holding one of those bits (in the channel, else guild-wide).
    pub(crate) fn allows(
        &self,
        user: Id<UserMarker>,
        channel: Option<Id<ChannelMarker>>,
        any_of: Permissions,
        now: Timestamp,
    ) -> bool {
        let Some(Some(member)) = self.members.get(&user) else { return false };
        let ctx = MemberPermissionContext {
            guild_id: self.guild_id,
            owner_id: self.owner_id,
            user_id: user,
            member_roles: &member.roles,
            guild_roles: &self.roles,
            communication_disabled_until: member.timeout,
            now,
        };
        let permissions = match channel {
            Some(id) => {
                let Some(channel) = self.channels.get(&id) else { return false };
                let parent = channel.parent().and_then(|p| self.channels.get(&p));
                let permissions = channel_permissions(&ctx, channel, parent);
                if !permissions.contains(Permissions::VIEW_CHANNEL) {
                    return false;
                }
                permissions
            }
            None => guild_permissions(&ctx),
        };
        any_of.is_empty() || permissions.intersects(any_of)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id<T>(n: u64) -> Id<T> {
        Id::new_checked(n).unwrap()
    }

    fn view() -> GuildView {
        let guild_id = id(1 << 22);
        GuildView {
            guild_id,
            owner_id: id(1),
            roles: vec![Role::everyone(guild_id, Permissions::VIEW_CHANNEL)],
            channels: HashMap::new(),
            members: HashMap::new(),
        }
    }

    #[test]
    fn member_events_of_users_never_looked_up_are_not_cached() {
        let mut view = view();
        for n in 10..1010_u64 {
            let user = serde_json::json!({"user": {"id": n.to_string()}, "roles": []});
            view.apply("GUILD_MEMBER_ADD", &user);
            view.apply("GUILD_MEMBER_UPDATE", &user);
            view.apply("GUILD_MEMBER_REMOVE", &user);
        }
        assert_eq!(view.members.len(), 0, "an entry per member who ever left, kept forever");

        // A member the fan-out looked up is kept current by the events.
        let now = Timestamp::from_micros(0);
        let known = id(5);
        view.set_member(known, None);
        assert!(!view.allows(known, None, Permissions::empty(), now));
        view.apply("GUILD_MEMBER_ADD", &serde_json::json!({"user": {"id": "5"}, "roles": []}));
        assert!(view.allows(known, None, Permissions::empty(), now));
        view.apply("GUILD_MEMBER_REMOVE", &serde_json::json!({"user": {"id": "5"}}));
        assert!(!view.allows(known, None, Permissions::empty(), now));
    }
}
