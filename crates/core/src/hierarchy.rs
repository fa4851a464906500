//! Role hierarchy: who may manage, grant, move roles and moderate members (protocol.md §4,
//! "Hierarchy").
//!
//! Roles rank by `position`, greater is higher. Discord sorts equal positions by id, and
//! clients agree on the direction (discord.py's `Role.__lt__`: at equal positions the role
//! with the *larger* id is the lower one), so among equal positions the older role (lower id)
//! ranks higher. @everyone is the floor whatever its stored position.
//!
//! These checks are only the hierarchy half. Whether the actor holds MANAGE_ROLES,
//! KICK_MEMBERS and so on is [`crate::permissions`]' job; callers need both.

use std::cmp::Ordering;

use guildhall_model::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::Id;
use guildhall_model::id::marker::{GuildMarker, RoleMarker, UserMarker};

/// Orders two roles by rank: `Greater` means `a` ranks above `b`.
///
/// Higher `position` wins; on equal positions the lower id wins. Sorting a slice with this
/// puts the lowest role first, so display order (top to bottom) is the reverse.
///
/// This does not know which role is @everyone; when @everyone may meet another role at the
/// same position, use [`guild_role_order`].
pub fn role_order(a: &Role, b: &Role) -> Ordering {
    a.position.cmp(&b.position).then_with(|| b.id.cmp(&a.id))
}

/// [`role_order`] that also keeps @everyone (the role whose id is `guild_id`) below every
/// other role. Without this, @everyone, whose id is the oldest in the guild, would win a tie
/// at position 0.
pub fn guild_role_order(guild_id: Id<GuildMarker>, a: &Role, b: &Role) -> Ordering {
    let everyone: Id<RoleMarker> = guild_id.cast();
    match (a.id == everyone, b.id == everyone) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => role_order(a, b),
    }
}

/// The highest of `member_roles` that exists in `guild_roles`, or `None` when the member has
/// only @everyone (the floor). Unknown role ids are ignored.
pub fn highest_role<'r>(
    guild_id: Id<GuildMarker>,
    member_roles: &[Id<RoleMarker>],
    guild_roles: &'r [Role],
) -> Option<&'r Role> {
    let everyone: Id<RoleMarker> = guild_id.cast();
    guild_roles
        .iter()
        .filter(|role| role.id != everyone && member_roles.contains(&role.id))
        .max_by(|a, b| role_order(a, b))
}

/// The member attempting a hierarchy-checked action.
#[derive(Debug, Clone, Copy)]
pub struct HierarchyActor<'a> {
    /// The guild acted in; also the id of its @everyone role.
    pub guild_id: Id<GuildMarker>,
    /// The guild's owner. Kept here rather than as an `is_owner` flag so that "is the actor the
    /// owner" and "is the target the owner" can never disagree.
    pub owner_id: Id<UserMarker>,
    /// The acting user.
    pub user_id: Id<UserMarker>,
    /// The actor's role ids (unknown ids are ignored).
    pub roles: &'a [Id<RoleMarker>],
    /// Every role of the guild.
    pub guild_roles: &'a [Role],
}

impl<'a> HierarchyActor<'a> {
    /// Whether the actor owns the guild (and so bypasses the hierarchy).
    pub fn is_owner(&self) -> bool {
        self.user_id == self.owner_id
    }

    /// The actor's highest role, `None` when it has only @everyone.
    pub fn highest_role(&self) -> Option<&'a Role> {
        highest_role(self.guild_id, self.roles, self.guild_roles)
    }

    /// Whether `role` ranks strictly below the actor's highest role. Ignores ownership.
    pub fn outranks(&self, role: &Role) -> bool {
        self.highest_role().is_some_and(|highest| guild_role_order(self.guild_id, role, highest) == Ordering::Less)
    }
}

/// Whether the actor may edit, delete, assign or remove `role`: the owner always may, anyone
/// else only for roles strictly below their highest role. @everyone counts as below every
/// role, so any actor with a role may edit its permissions (subject to
/// [`can_grant_permissions`]).
pub fn can_manage_role(actor: &HierarchyActor<'_>, role: &Role) -> bool {
    actor.is_owner() || actor.outranks(role)
}

/// Whether the actor may kick, ban, time out or rename the member `target_user_id` holding
/// `target_member_roles`.
///
/// Nobody may act on the owner; the owner may act on anyone else; otherwise the target's
/// highest role must rank strictly below the actor's. A member therefore never passes this
/// check against themselves: self-service changes go through the `@me` routes and their own
/// permission (CHANGE_NICKNAME).
pub fn can_moderate_member(
    actor: &HierarchyActor<'_>,
    target_member_roles: &[Id<RoleMarker>],
    target_user_id: Id<UserMarker>,
) -> bool {
    if target_user_id == actor.owner_id {
        return false;
    }
    if actor.is_owner() {
        return true;
    }
    match highest_role(actor.guild_id, target_member_roles, actor.guild_roles) {
        Some(target_highest) => actor.outranks(target_highest),
        // A target with only @everyone is below anyone who holds a role.
        None => actor.highest_role().is_some(),
    }
}

/// Whether an actor holding `actor_permissions` (guild level) may grant `requested`, on a
/// role or in an overwrite: only permissions it holds itself, except that the owner and
/// administrators hold them all.
pub fn can_grant_permissions(actor_permissions: Permissions, requested: Permissions, is_owner: bool) -> bool {
    is_owner || actor_permissions.contains(Permissions::ADMINISTRATOR) || actor_permissions.contains(requested)
}

/// Whether the actor may move `role` to `new_position`.
///
/// @everyone never moves and no role may go to position 0 or below, which is @everyone's
/// floor; the owner may otherwise move anything. Anyone else needs the role strictly below
/// them ([`can_manage_role`]) and a destination strictly below their highest role's
/// position. An equal position is refused even though the id tie-break might leave the role
/// below: the actor should not be able to place a role level with its own.
pub fn can_move_role(actor: &HierarchyActor<'_>, role: &Role, new_position: i32) -> bool {
    let everyone: Id<RoleMarker> = actor.guild_id.cast();
    if role.id == everyone || new_position <= 0 {
        return false;
    }
    if actor.is_owner() {
        return true;
    }
    actor.outranks(role) && actor.highest_role().is_some_and(|highest| new_position < highest.position)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: u64 = 1;
    const OWNER: u64 = 100;
    const ACTOR: u64 = 200;
    const TARGET: u64 = 300;
    // Positions: ADMIN 5, MOD 3, OLD_PEER and NEW_PEER both 2 (OLD_PEER has the lower id, so it
    // ranks higher), MEMBER 1, ZERO 0 (a stray role level with @everyone).
    const ADMIN: u64 = 50;
    const MOD: u64 = 30;
    const OLD_PEER: u64 = 20;
    const NEW_PEER: u64 = 21;
    const MEMBER: u64 = 10;
    const ZERO: u64 = 60;
    const UNKNOWN: u64 = 999;

    fn id<T>(raw: u64) -> Id<T> {
        Id::new_checked(raw).unwrap()
    }

    fn role(raw: u64, position: i32) -> Role {
        let mut role = Role::everyone(id(GUILD), Permissions::empty());
        role.id = id(raw);
        role.name = format!("role {raw}");
        role.position = position;
        role
    }

    fn guild_roles() -> Vec<Role> {
        vec![
            Role::everyone(id(GUILD), Permissions::empty()),
            role(MEMBER, 1),
            role(NEW_PEER, 2),
            role(OLD_PEER, 2),
            role(MOD, 3),
            role(ADMIN, 5),
            role(ZERO, 0),
        ]
    }

    fn find(roles: &[Role], raw: u64) -> &Role {
        roles.iter().find(|r| r.id.get() == raw).unwrap()
    }

    fn ids(raw: &[u64]) -> Vec<Id<RoleMarker>> {
        raw.iter().map(|&r| id(r)).collect()
    }

    fn actor<'a>(user: u64, roles: &'a [Id<RoleMarker>], guild_roles: &'a [Role]) -> HierarchyActor<'a> {
        HierarchyActor { guild_id: id(GUILD), owner_id: id(OWNER), user_id: id(user), roles, guild_roles }
    }

    #[test]
    fn ordering_table() {
        let roles = guild_roles();
        let cases = [
            ("higher position ranks higher", MOD, MEMBER, Ordering::Greater),
            ("lower position ranks lower", MEMBER, ADMIN, Ordering::Less),
            ("equal position: lower id ranks higher", OLD_PEER, NEW_PEER, Ordering::Greater),
            ("equal position: higher id ranks lower", NEW_PEER, OLD_PEER, Ordering::Less),
            ("same role", MOD, MOD, Ordering::Equal),
            ("@everyone below a position-0 role", GUILD, ZERO, Ordering::Less),
            ("position-0 role above @everyone", ZERO, GUILD, Ordering::Greater),
            ("@everyone equals itself", GUILD, GUILD, Ordering::Equal),
        ];
        for (name, a, b, expect) in cases {
            let got = guild_role_order(id(GUILD), find(&roles, a), find(&roles, b));
            assert_eq!(got, expect, "{name}");
        }
        // Plain role_order lets the older @everyone win the position-0 tie; that is why
        // guild_role_order exists.
        assert_eq!(role_order(find(&roles, GUILD), find(&roles, ZERO)), Ordering::Greater);

        let mut sorted = roles.clone();
        sorted.sort_by(|a, b| guild_role_order(id(GUILD), a, b));
        let order: Vec<u64> = sorted.iter().map(|r| r.id.get()).collect();
        assert_eq!(order, [GUILD, ZERO, MEMBER, NEW_PEER, OLD_PEER, MOD, ADMIN]);
    }

    #[test]
    fn highest_role_table() {
        let roles = guild_roles();
        let cases: [(&str, &[u64], Option<u64>); 6] = [
            ("no roles: floor", &[], None),
            ("only @everyone listed: floor", &[GUILD], None),
            ("unknown ids ignored", &[UNKNOWN], None),
            ("greatest position", &[MEMBER, MOD, UNKNOWN], Some(MOD)),
            ("tie: lower id", &[NEW_PEER, OLD_PEER], Some(OLD_PEER)),
            ("position 0 role still beats the floor", &[ZERO], Some(ZERO)),
        ];
        for (name, member_roles, expect) in cases {
            let got = highest_role(id(GUILD), &ids(member_roles), &roles).map(|r| r.id.get());
            assert_eq!(got, expect, "{name}");
        }
    }

    #[test]
    fn can_manage_role_table() {
        let roles = guild_roles();
        let cases: [(&str, u64, &[u64], u64, bool); 9] = [
            ("owner manages the top role", OWNER, &[], ADMIN, true),
            ("owner manages @everyone", OWNER, &[], GUILD, true),
            ("below highest", ACTOR, &[MOD], MEMBER, true),
            ("own highest role", ACTOR, &[MOD], MOD, false),
            ("above highest", ACTOR, &[MOD], ADMIN, false),
            ("equal position, actor's role older", ACTOR, &[OLD_PEER], NEW_PEER, true),
            ("equal position, actor's role newer", ACTOR, &[NEW_PEER], OLD_PEER, false),
            ("any role manages @everyone", ACTOR, &[ZERO], GUILD, true),
            ("no roles manage nothing", ACTOR, &[], GUILD, false),
        ];
        for (name, user, actor_roles, target, expect) in cases {
            let actor_roles = ids(actor_roles);
            let got = can_manage_role(&actor(user, &actor_roles, &roles), find(&roles, target));
            assert_eq!(got, expect, "{name}");
        }
    }

    #[test]
    fn can_moderate_member_table() {
        let roles = guild_roles();
        // (name, actor, actor's roles, target, target's roles, expected)
        type Case = (&'static str, u64, &'static [u64], u64, &'static [u64], bool);
        let cases: [Case; 10] = [
            ("nobody acts on the owner", ACTOR, &[ADMIN], OWNER, &[], false),
            ("not even the owner on itself", OWNER, &[], OWNER, &[], false),
            ("owner acts on anyone else", OWNER, &[], TARGET, &[ADMIN], true),
            ("higher actor", ACTOR, &[MOD], TARGET, &[MEMBER], true),
            ("equal highest role", ACTOR, &[MOD], TARGET, &[MOD, MEMBER], false),
            ("lower actor", ACTOR, &[MEMBER], TARGET, &[MOD], false),
            ("tie broken by id", ACTOR, &[OLD_PEER], TARGET, &[NEW_PEER], true),
            ("target with no roles", ACTOR, &[MEMBER], TARGET, &[], true),
            ("both without roles", ACTOR, &[], TARGET, &[], false),
            ("self", ACTOR, &[ADMIN], ACTOR, &[ADMIN], false),
        ];
        for (name, user, actor_roles, target, target_roles, expect) in cases {
            let actor_roles = ids(actor_roles);
            let got = can_moderate_member(&actor(user, &actor_roles, &roles), &ids(target_roles), id(target));
            assert_eq!(got, expect, "{name}");
        }
    }

    #[test]
    fn can_grant_permissions_table() {
        let held = Permissions::KICK_MEMBERS | Permissions::VIEW_CHANNEL;
        let cases = [
            ("subset", held, Permissions::KICK_MEMBERS, false, true),
            ("exact set", held, held, false, true),
            ("nothing requested", Permissions::empty(), Permissions::empty(), false, true),
            ("one bit missing", held, held | Permissions::BAN_MEMBERS, false, false),
            ("cannot grant admin without it", held, Permissions::ADMINISTRATOR, false, false),
            ("admin grants anything", Permissions::ADMINISTRATOR, Permissions::all(), false, true),
            ("owner grants anything", Permissions::empty(), Permissions::all(), true, true),
        ];
        for (name, actor_permissions, requested, is_owner, expect) in cases {
            assert_eq!(can_grant_permissions(actor_permissions, requested, is_owner), expect, "{name}");
        }
    }

    #[test]
    fn can_move_role_table() {
        let roles = guild_roles();
        // (name, actor, actor's roles, role moved, new position, expected)
        type Case = (&'static str, u64, &'static [u64], u64, i32, bool);
        let cases: [Case; 9] = [
            ("owner moves anything", OWNER, &[], ADMIN, 7, true),
            ("owner cannot move @everyone", OWNER, &[], GUILD, 3, false),
            ("nobody moves a role to position 0", OWNER, &[], MEMBER, 0, false),
            ("below actor, to below actor", ACTOR, &[MOD], MEMBER, 2, true),
            ("to actor's own position", ACTOR, &[MOD], MEMBER, 3, false),
            ("to above actor", ACTOR, &[MOD], MEMBER, 4, false),
            ("role not below actor", ACTOR, &[MOD], ADMIN, 1, false),
            ("own highest role", ACTOR, &[MOD], MOD, 2, false),
            ("no roles move nothing", ACTOR, &[], MEMBER, 1, false),
        ];
        for (name, user, actor_roles, target, new_position, expect) in cases {
            let actor_roles = ids(actor_roles);
            let got = can_move_role(&actor(user, &actor_roles, &roles), find(&roles, target), new_position);
            assert_eq!(got, expect, "{name}");
        }
    }
}
