//! Effective permissions of a guild member, guild-wide and in one channel (protocol.md §4,
//! "Algorithm (official order)" and "Implicit rules").
//!
//! Pure functions over state the caller has already loaded: the member's roles, the guild's
//! roles, the channel (and a thread's parent) and `now`. Nothing is looked up and no clock is
//! read here (style.md §0 rules 1 and 9), so every rule is testable with a table.

use guildhall_model::channel::{Channel, OverwriteType, PermissionOverwrite};
use guildhall_model::guild::Role;
use guildhall_model::id::Id;
use guildhall_model::id::marker::{GenericMarker, GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Permissions, Timestamp};

/// Everything about one guild member that permission computation needs.
#[derive(Debug, Clone, Copy)]
pub struct MemberPermissionContext<'a> {
    /// The guild; its id is also the id of its @everyone role.
    pub guild_id: Id<GuildMarker>,
    /// The guild's owner, who holds every permission everywhere.
    pub owner_id: Id<UserMarker>,
    /// The member whose permissions are computed.
    pub user_id: Id<UserMarker>,
    /// The member's role ids. Ids that are not in `guild_roles` are ignored.
    pub member_roles: &'a [Id<RoleMarker>],
    /// Every role of the guild, @everyone included.
    pub guild_roles: &'a [Role],
    /// When the member's timeout ends, if one was ever set.
    pub communication_disabled_until: Option<Timestamp>,
    /// The current time, compared with `communication_disabled_until`.
    pub now: Timestamp,
}

impl MemberPermissionContext<'_> {
    /// Whether the member owns the guild.
    pub fn is_owner(&self) -> bool {
        self.user_id == self.owner_id
    }

    /// Whether the member is timed out at `now`. An end in the past (or exactly `now`) is
    /// no timeout: Discord leaves stale values in place rather than clearing them.
    pub fn is_timed_out(&self) -> bool {
        self.communication_disabled_until.is_some_and(|until| until > self.now)
    }

    fn everyone_role_id(&self) -> Id<RoleMarker> {
        self.guild_id.cast()
    }

    /// The member's roles that exist in the guild, without @everyone. Iterating the guild's
    /// list (not the member's) is what drops unknown ids and duplicates.
    fn roles(&self) -> impl Iterator<Item = &Role> {
        let everyone = self.everyone_role_id();
        self.guild_roles.iter().filter(move |role| role.id != everyone && self.member_roles.contains(&role.id))
    }

    /// Whether the member holds role `id` and the role exists in the guild. The member's list
    /// is checked first: it is short, and most overwrites name roles the member lacks (walking
    /// the guild's roles for every overwrite made a 50-overwrite channel cost ~100 µs).
    fn has_role(&self, id: Id<RoleMarker>) -> bool {
        id != self.everyone_role_id()
            && self.member_roles.contains(&id)
            && self.guild_roles.iter().any(|role| role.id == id)
    }
}

/// Step 1 of §4 without the timeout rule. Owner and administrators get `all()`, which itself
/// contains ADMINISTRATOR, so callers test one bit to know whether overwrites apply.
fn base_permissions(ctx: &MemberPermissionContext<'_>) -> Permissions {
    if ctx.is_owner() {
        return Permissions::all();
    }
    let everyone = ctx.everyone_role_id();
    let mut permissions =
        ctx.guild_roles.iter().find(|role| role.id == everyone).map_or(Permissions::empty(), |role| role.permissions);
    for role in ctx.roles() {
        permissions |= role.permissions;
    }
    if permissions.contains(Permissions::ADMINISTRATOR) { Permissions::all() } else { permissions }
}

/// The member's guild-level permissions (§4 steps 1 and 3).
///
/// The owner and members with ADMINISTRATOR (from @everyone or any of their roles) get
/// [`Permissions::all`] and are exempt from timeouts; a timed-out member keeps only
/// [`Permissions::TIMED_OUT_ALLOWED`].
pub fn guild_permissions(ctx: &MemberPermissionContext<'_>) -> Permissions {
    let base = base_permissions(ctx);
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::all();
    }
    if ctx.is_timed_out() { base & Permissions::TIMED_OUT_ALLOWED } else { base }
}

/// The member's permissions in `channel` (§4 steps 1–3 plus the implicit rules).
///
/// `parent` is only read for threads, whose overwrites are their parent channel's. A thread
/// passed without its parent yields no permissions (owner and administrators aside): failing
/// closed turns a caller's missing lookup into a visible 403 instead of a silent leak of
/// guild-level rights past the parent's overwrites. Categories are never consulted for other
/// channels: "synced" channels carry copies of the category's overwrites (§4).
///
/// Implicit rules, applied last: without VIEW_CHANNEL nothing is left; in a text-capable
/// channel without SEND_MESSAGES the [`Permissions::SEND_DEPENDENT`] bits go too; in a voice
/// or stage channel without CONNECT the [`Permissions::VOICE`] bits go, and so do
/// MANAGE_CHANNELS and MANAGE_ROLES, because Discord documents that a member who cannot
/// connect has the channel's other voice-channel permissions "such as MANAGE_CHANNELS"
/// implicitly denied, and MANAGE_ROLES on a channel means "manage this channel's permissions",
/// which is the same kind of right.
pub fn channel_permissions(
    ctx: &MemberPermissionContext<'_>,
    channel: &Channel,
    parent: Option<&Channel>,
) -> Permissions {
    let base = base_permissions(ctx);
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::all();
    }

    let is_thread = channel.kind.is_thread();
    let overwrites = if is_thread {
        match parent {
            Some(parent) => parent.overwrites(),
            None => return Permissions::empty(),
        }
    } else {
        channel.overwrites()
    };

    let mut permissions = apply_overwrites(ctx, base, overwrites);
    if is_thread {
        // The result speaks the vocabulary of the channel asked about: in a thread,
        // "may send here" is the parent's SEND_MESSAGES_IN_THREADS.
        let can_send = permissions.contains(Permissions::SEND_MESSAGES_IN_THREADS);
        permissions.set(Permissions::SEND_MESSAGES, can_send);
    }
    if ctx.is_timed_out() {
        permissions &= Permissions::TIMED_OUT_ALLOWED;
    }
    apply_implicit_rules(channel, permissions)
}

/// §4 step 2: @everyone overwrite, then all role overwrites at once, then the member's.
fn apply_overwrites(
    ctx: &MemberPermissionContext<'_>,
    base: Permissions,
    overwrites: &[PermissionOverwrite],
) -> Permissions {
    let everyone: Id<GenericMarker> = ctx.guild_id.cast();
    let user: Id<GenericMarker> = ctx.user_id.cast();
    let mut permissions = base;

    if let Some(overwrite) = overwrites.iter().find(|o| o.kind == OverwriteType::Role && o.id == everyone) {
        permissions &= !overwrite.deny;
        permissions |= overwrite.allow;
    }

    // Allows and denies of all roles are merged before applying, so any role that allows a
    // bit beats any role that denies it, whatever the two roles' positions.
    let (allow, deny) = overwrites
        .iter()
        .filter(|o| o.kind == OverwriteType::Role && o.id != everyone && ctx.has_role(o.id.cast()))
        .fold((Permissions::empty(), Permissions::empty()), |(allow, deny), o| (allow | o.allow, deny | o.deny));
    permissions &= !deny;
    permissions |= allow;

    if let Some(overwrite) = overwrites.iter().find(|o| o.kind == OverwriteType::Member && o.id == user) {
        permissions &= !overwrite.deny;
        permissions |= overwrite.allow;
    }
    permissions
}

fn apply_implicit_rules(channel: &Channel, mut permissions: Permissions) -> Permissions {
    if !permissions.contains(Permissions::VIEW_CHANNEL) {
        return Permissions::empty();
    }
    if channel.kind.is_text_capable() && !permissions.contains(Permissions::SEND_MESSAGES) {
        permissions.remove(Permissions::SEND_DEPENDENT);
    }
    if channel.kind.is_voice() && !permissions.contains(Permissions::CONNECT) {
        permissions.remove(Permissions::VOICE | Permissions::MANAGE_CHANNELS | Permissions::MANAGE_ROLES);
    }
    permissions
}

#[cfg(test)]
mod tests;
