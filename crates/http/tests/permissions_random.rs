//! Randomized agreement between REST authorization and core's permission computation.
//!
//! Many random worlds (roles with random permissions and positions, members with random roles,
//! a timed-out member, an outsider, channels under a category, random role/member/@everyone
//! overwrites); in each, random members perform random REST reads and writes. For every
//! request the expected answer is derived independently from the store state with
//! `guildhall_core::permissions` and `guildhall_core::hierarchy` plus Discord's table of which
//! permission each route needs; the route must succeed exactly when that says it may, and
//! refuse with 403 (50001/50013) otherwise. Writes that would change the world are undone by
//! the owner so every world stays valid for its whole run.
//!
//! The seed is printed on failure; rerun one world with `PERMISSIONS_SEED=<seed>`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_core::hierarchy::{self, HierarchyActor};
use guildhall_core::permissions::{self, MemberPermissionContext};
use guildhall_model::channel::{Channel, ChannelType, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, RoleMarker, UserMarker};
use guildhall_model::{Id, Nullable, Timestamp};
use guildhall_store::MessageRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use support::Harness;

/// The bits the routes below depend on (plus ADMINISTRATOR, rarely).
const BITS: &[Permissions] = &[
    Permissions::VIEW_CHANNEL,
    Permissions::SEND_MESSAGES,
    Permissions::READ_MESSAGE_HISTORY,
    Permissions::ADD_REACTIONS,
    Permissions::MANAGE_MESSAGES,
    Permissions::PIN_MESSAGES,
    Permissions::MANAGE_CHANNELS,
    Permissions::MANAGE_ROLES,
    Permissions::CREATE_INSTANT_INVITE,
    Permissions::MANAGE_WEBHOOKS,
    Permissions::MANAGE_GUILD,
    Permissions::BAN_MEMBERS,
    Permissions::MANAGE_NICKNAMES,
    Permissions::CONNECT,
];

const WORLDS: u64 = 48;
const OPS_PER_WORLD: usize = 216;

fn random_bits(rng: &mut StdRng, p: f64) -> Permissions {
    let mut bits = Permissions::empty();
    for bit in BITS {
        if rng.random_bool(p) {
            bits |= *bit;
        }
    }
    bits
}

fn random_overwrite(rng: &mut StdRng, id: u64, kind: OverwriteType) -> PermissionOverwrite {
    let allow = random_bits(rng, 0.2);
    let deny = random_bits(rng, 0.2) - allow;
    PermissionOverwrite { id: Id::new_checked(id).unwrap(), kind, allow, deny }
}

/// One random world on top of the seeded guild.
struct World {
    h: Harness,
    /// Actors: (Authorization, user id). Index 0..3 are members, the last one is an outsider.
    actors: Vec<(String, Id<UserMarker>)>,
    /// Roles that members can be given (not @everyone, not the neutral one).
    roles: Vec<Id<RoleMarker>>,
    /// A role nobody holds, for neutral overwrites.
    neutral_role: Id<RoleMarker>,
    text_channels: Vec<Id<ChannelMarker>>,
    /// A message by the owner in each text channel.
    messages: Vec<Id<MessageMarker>>,
}

async fn build_world(rng: &mut StdRng) -> World {
    let h = Harness::new().await;
    let store = h.core.store();
    let gid = h.guild_id();
    let now = h.core.now();

    h.set_everyone(random_bits(rng, 0.6)).await;
    let mut roles = Vec::new();
    let mut positions: Vec<i32> = (2..=5).collect();
    for i in 0..4 {
        let mut role = Role::everyone(gid, random_bits(rng, 0.3));
        if rng.random_bool(0.04) {
            role.permissions |= Permissions::ADMINISTRATOR;
        }
        role.id = h.core.next_id();
        role.name = format!("role{i}");
        let at = rng.random_range(0..positions.len());
        role.position = positions.remove(at);
        store.create_role(gid, &role).await.unwrap();
        roles.push(role.id);
    }
    let mut neutral = Role::everyone(gid, Permissions::empty());
    neutral.id = h.core.next_id();
    neutral.name = "neutral".into();
    neutral.position = 1;
    store.create_role(gid, &neutral).await.unwrap();

    // Members: bot 1 and users 0..1 get random roles; user 1 may be timed out; user 2 is an
    // outsider (not a member).
    let mut actors =
        vec![(h.bot(1), h.seed.bots[1].id), (h.user(0), h.seed.users[0].id), (h.user(1), h.seed.users[1].id)];
    for (_, uid) in &actors {
        let mut member = store.member(gid, *uid).await.unwrap().unwrap();
        member.roles = roles.iter().copied().filter(|_| rng.random_bool(0.4)).collect();
        if *uid == h.seed.users[1].id && rng.random_bool(0.25) {
            member.communication_disabled_until = Some(Timestamp::from_millis(now.as_millis() + 3_600_000));
        }
        store.update_member(&member).await.unwrap();
    }
    store.remove_member(gid, h.seed.users[2].id).await.unwrap();
    actors.push((h.user(2), h.seed.users[2].id));

    // A category with random overwrites; text channel 1 sits in it with its own overwrites.
    let mut category = Channel::new(h.core.next_id(), ChannelType::GuildCategory);
    category.guild_id = Some(gid);
    category.name = Some(Nullable::Value("cat".into()));
    category.position = Some(0);
    category.permission_overwrites = Some(Vec::new());
    store.create_channel(&category).await.unwrap();
    let member_ids: Vec<u64> = actors[..3].iter().map(|(_, u)| u.get()).collect();
    let text_channels: Vec<Id<ChannelMarker>> = h.seed.text_channels.iter().map(|c| c.id).collect();
    let voice_channel = h.seed.voice_channels[0].id;
    for (i, cid) in text_channels.iter().chain([&voice_channel]).enumerate() {
        let mut channel = store.channel(*cid).await.unwrap().unwrap();
        let mut overwrites = Vec::new();
        if rng.random_bool(0.7) {
            overwrites.push(random_overwrite(rng, gid.get(), OverwriteType::Role));
        }
        if rng.random_bool(0.5) {
            let role = roles[rng.random_range(0..roles.len())];
            overwrites.push(random_overwrite(rng, role.get(), OverwriteType::Role));
        }
        if rng.random_bool(0.4) {
            let member = member_ids[rng.random_range(0..member_ids.len())];
            overwrites.push(random_overwrite(rng, member, OverwriteType::Member));
        }
        channel.permission_overwrites = Some(overwrites);
        if i == 1 {
            channel.parent_id = Some(Nullable::Value(category.id));
        }
        store.update_channel(&channel).await.unwrap();
    }

    let owner = h.seed.bots[0].id;
    let mut messages = Vec::new();
    for cid in &text_channels {
        for n in 0..3 {
            let mid: Id<MessageMarker> = h.core.next_id();
            let mut record = MessageRecord::new(mid, *cid, Some(gid), owner, format!("seeded {n}"));
            record.timestamp = now;
            store.create_message(&record).await.unwrap();
            if n == 2 {
                messages.push(mid);
            }
        }
    }
    World { h, actors, roles, neutral_role: neutral.id, text_channels, messages }
}

/// What core says about one actor, read fresh from the store.
struct View {
    member: Option<guildhall_store::MemberRecord>,
    roles: Vec<Role>,
    guild: guildhall_model::guild::Guild,
    now: Timestamp,
}

impl View {
    fn ctx(&self) -> Option<MemberPermissionContext<'_>> {
        let member = self.member.as_ref()?;
        Some(MemberPermissionContext {
            guild_id: self.guild.id,
            owner_id: self.guild.owner_id,
            user_id: member.user_id,
            member_roles: &member.roles,
            guild_roles: &self.roles,
            communication_disabled_until: member.communication_disabled_until,
            now: self.now,
        })
    }

    fn guild_perms(&self) -> Permissions {
        self.ctx().map_or(Permissions::empty(), |ctx| permissions::guild_permissions(&ctx))
    }

    fn hierarchy(&self) -> Option<HierarchyActor<'_>> {
        let member = self.member.as_ref()?;
        Some(HierarchyActor {
            guild_id: self.guild.id,
            owner_id: self.guild.owner_id,
            user_id: member.user_id,
            roles: &member.roles,
            guild_roles: &self.roles,
        })
    }
}

async fn view(w: &World, user: Id<UserMarker>) -> View {
    let store = w.h.core.store();
    let gid = w.h.guild_id();
    View {
        member: store.member(gid, user).await.unwrap(),
        roles: store.guild_roles(gid).await.unwrap(),
        guild: store.guild(gid).await.unwrap().unwrap(),
        now: w.h.core.now(),
    }
}

async fn channel_perms(w: &World, v: &View, cid: Id<ChannelMarker>) -> Permissions {
    let store = w.h.core.store();
    let channel = store.channel(cid).await.unwrap().unwrap();
    let parent = match channel.parent() {
        Some(p) if channel.kind.is_thread() => store.channel(p).await.unwrap(),
        _ => None,
    };
    v.ctx().map_or(Permissions::empty(), |ctx| permissions::channel_permissions(&ctx, &channel, parent.as_ref()))
}

#[derive(Default)]
struct Tally {
    ops: usize,
    allowed: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, expected: bool, status: u16, body: &serde_json::Value) {
        self.ops += 1;
        let ok = (200..300).contains(&status);
        let refused = status == 403 || (status == 404 && body["code"] == 10004);
        if ok {
            self.allowed += 1;
        }
        if (expected && !ok) || (!expected && !refused) {
            self.mismatches
                .push(format!("{what}: expected {}, got {status} {body}", if expected { "allowed" } else { "403" }));
        }
    }
}

const OP_KINDS: usize = 20;

async fn run_op(w: &World, rng: &mut StdRng, tally: &mut Tally, op: usize) {
    let (auth, uid) = w.actors[rng.random_range(0..w.actors.len())].clone();
    let owner = w.h.owner();
    let v = view(w, uid).await;
    let gid = w.h.guild_id();
    let ci = rng.random_range(0..w.text_channels.len());
    let cid = w.text_channels[ci];
    let mid = w.messages[ci];
    let cp = channel_perms(w, &v, cid).await;
    let gp = v.guild_perms();
    let has = |p: Permissions, bits: Permissions| p.contains(bits);
    let base = format!("/api/v10/channels/{cid}");
    let label = |what: &str| format!("[{op}] {what} as {uid} in {cid}");
    match rng.random_range(0..OP_KINDS) {
        0 => {
            let r = w.h.get(&base, &auth).await;
            tally.check(&label("GET channel"), has(cp, Permissions::VIEW_CHANNEL), r.status, &r.body);
        }
        1 => {
            let r = w.h.get(&format!("{base}/messages?limit=5"), &auth).await;
            tally.check(&label("GET messages"), has(cp, Permissions::VIEW_CHANNEL), r.status, &r.body);
            if r.status == 200 {
                let history = has(cp, Permissions::READ_MESSAGE_HISTORY);
                let listed = !r.body.as_array().unwrap().is_empty();
                if history != listed {
                    tally.mismatches.push(label(&format!("history visible={listed}, READ_MESSAGE_HISTORY={history}")));
                }
            }
        }
        2 => {
            let r = w.h.get(&format!("{base}/messages/{mid}"), &auth).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY);
            tally.check(&label("GET message"), expected, r.status, &r.body);
        }
        3 => {
            let r = w.h.post(&format!("{base}/messages"), &auth, json!({"content": "hello"})).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES);
            tally.check(&label("POST message"), expected, r.status, &r.body);
        }
        4 => {
            let r = w.h.call("POST", &format!("{base}/typing"), Some(&auth), None).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES);
            tally.check(&label("POST typing"), expected, r.status, &r.body);
        }
        5 => {
            // A new emoji on the message: READ_MESSAGE_HISTORY and ADD_REACTIONS.
            let path = format!("{base}/messages/{mid}/reactions/%F0%9F%91%8D/@me");
            let r = w.h.put(&path, &auth, None).await;
            let expected =
                has(cp, Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY | Permissions::ADD_REACTIONS);
            tally.check(&label("PUT reaction"), expected, r.status, &r.body);
            if r.status == 204 {
                w.h.delete(&path, &auth).await.expect(204);
            }
        }
        6 => {
            let created = w.h.post(&format!("{base}/messages"), &owner, json!({"content": "to delete"})).await;
            let target = created.expect(200).str("id");
            let r = w.h.delete(&format!("{base}/messages/{target}"), &auth).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_MESSAGES);
            tally.check(&label("DELETE other's message"), expected, r.status, &r.body);
        }
        7 => {
            let r = w.h.put(&format!("{base}/messages/pins/{mid}"), &auth, None).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::PIN_MESSAGES);
            tally.check(&label("PUT pin"), expected, r.status, &r.body);
            if r.status == 204 {
                w.h.delete(&format!("{base}/messages/pins/{mid}"), &owner).await.expect(204);
            }
        }
        8 => {
            let r = w.h.patch(&base, &auth, json!({"topic": format!("topic {op}")})).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_CHANNELS);
            tally.check(&label("PATCH channel"), expected, r.status, &r.body);
        }
        9 => {
            // A neutral overwrite (allows and denies nothing) for a role nobody holds.
            let path = format!("{base}/permissions/{}", w.neutral_role);
            let r = w.h.put(&path, &auth, Some(json!({"type": 0, "allow": "0", "deny": "0"}))).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_ROLES);
            tally.check(&label("PUT overwrite"), expected, r.status, &r.body);
        }
        10 => {
            let r = w.h.post(&format!("{base}/invites"), &auth, json!({})).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::CREATE_INSTANT_INVITE);
            tally.check(&label("POST invite"), expected, r.status, &r.body);
        }
        11 => {
            let r = w.h.get(&format!("{base}/invites"), &auth).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_CHANNELS);
            tally.check(&label("GET channel invites"), expected, r.status, &r.body);
        }
        12 => {
            let r = w.h.post(&format!("{base}/webhooks"), &auth, json!({"name": "hook"})).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_WEBHOOKS);
            tally.check(&label("POST webhook"), expected, r.status, &r.body);
            if r.status == 200 {
                w.h.delete(&format!("/api/v10/webhooks/{}", r.str("id")), &owner).await.expect(204);
            }
        }
        13 => {
            let r = w.h.get(&format!("{base}/webhooks"), &auth).await;
            let expected = has(cp, Permissions::VIEW_CHANNEL | Permissions::MANAGE_WEBHOOKS);
            tally.check(&label("GET webhooks"), expected, r.status, &r.body);
        }
        14 => {
            let r = w.h.patch(&format!("/api/v10/guilds/{gid}"), &auth, json!({"name": format!("Guild {op}")})).await;
            tally.check(&label("PATCH guild"), has(gp, Permissions::MANAGE_GUILD), r.status, &r.body);
        }
        15 => {
            let r = w.h.post(&format!("/api/v10/guilds/{gid}/channels"), &auth, json!({"name": "new"})).await;
            tally.check(&label("POST channel"), has(gp, Permissions::MANAGE_CHANNELS), r.status, &r.body);
            if (200..300).contains(&r.status) {
                w.h.delete(&format!("/api/v10/channels/{}", r.str("id")), &owner).await.expect(200);
            }
        }
        16 => {
            let r =
                w.h.post(&format!("/api/v10/guilds/{gid}/roles"), &auth, json!({"name": "r", "permissions": "0"}))
                    .await;
            tally.check(&label("POST role"), has(gp, Permissions::MANAGE_ROLES), r.status, &r.body);
            if (200..300).contains(&r.status) {
                w.h.delete(&format!("/api/v10/guilds/{gid}/roles/{}", r.str("id")), &owner).await.expect(204);
            }
        }
        17 => {
            let (path, bits) = if rng.random_bool(0.5) {
                (format!("/api/v10/guilds/{gid}/bans"), Permissions::BAN_MEMBERS)
            } else {
                (format!("/api/v10/guilds/{gid}/invites"), Permissions::MANAGE_GUILD)
            };
            let r = w.h.get(&path, &auth).await;
            tally.check(&label(&format!("GET {path}")), has(gp, bits), r.status, &r.body);
        }
        18 => {
            // Rename another member: MANAGE_NICKNAMES and the hierarchy.
            let (_, target) = w.actors[rng.random_range(0..3)].clone();
            if target == uid {
                return;
            }
            let target_roles = w.h.core.store().member(gid, target).await.unwrap().map(|m| m.roles).unwrap_or_default();
            let expected = has(gp, Permissions::MANAGE_NICKNAMES)
                && v.hierarchy().is_some_and(|actor| hierarchy::can_moderate_member(&actor, &target_roles, target));
            let r = w.h.patch(&format!("/api/v10/guilds/{gid}/members/{target}"), &auth, json!({"nick": "nick"})).await;
            tally.check(&label(&format!("PATCH member {target} nick")), expected, r.status, &r.body);
        }
        _ => {
            // Give another member a role they lack: MANAGE_ROLES and the role below the actor's
            // highest. Undone by the owner.
            let (_, target) = w.actors[rng.random_range(0..3)].clone();
            let Some(target_member) = w.h.core.store().member(gid, target).await.unwrap() else { return };
            let Some(role_id) = w.roles.iter().copied().find(|r| !target_member.roles.contains(r)) else { return };
            let role = v.roles.iter().find(|r| r.id == role_id).unwrap().clone();
            let expected = has(gp, Permissions::MANAGE_ROLES)
                && v.hierarchy().is_some_and(|actor| hierarchy::can_manage_role(&actor, &role));
            let path = format!("/api/v10/guilds/{gid}/members/{target}/roles/{role_id}");
            let r = w.h.put(&path, &auth, None).await;
            tally.check(&label(&format!("PUT role {role_id} on {target}")), expected, r.status, &r.body);
            if r.status == 204 {
                w.h.delete(&path, &owner).await.expect(204);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_authorization_matches_core_permissions() {
    let seeds: Vec<u64> = match std::env::var("PERMISSIONS_SEED") {
        Ok(seed) => vec![seed.parse().expect("PERMISSIONS_SEED is a u64")],
        Err(_) => {
            let base: u64 = rand::rng().random();
            (0..WORLDS).map(|i| base.wrapping_add(i)).collect()
        }
    };
    let mut tally = Tally::default();
    for seed in &seeds {
        let mut rng = StdRng::seed_from_u64(*seed);
        let world = build_world(&mut rng).await;
        let before = tally.mismatches.len();
        // Some draws are skipped (e.g. acting on oneself), so count the operations that ran.
        let target = tally.ops + OPS_PER_WORLD;
        let mut op = 0;
        while tally.ops < target {
            run_op(&world, &mut rng, &mut tally, op).await;
            op += 1;
        }
        if tally.mismatches.len() > before {
            tally.mismatches.push(format!("(world seed {seed}: rerun with PERMISSIONS_SEED={seed})"));
        }
    }
    let refused = tally.ops - tally.allowed;
    eprintln!(
        "{} operations: {} allowed, {refused} refused, {} mismatches",
        tally.ops,
        tally.allowed,
        tally.mismatches.len()
    );
    assert!(tally.mismatches.is_empty(), "{} mismatches:\n{}", tally.mismatches.len(), tally.mismatches.join("\n"));
    if seeds.len() > 1 {
        assert!(tally.ops >= 10_000, "only {} operations ran", tally.ops);
        // Both outcomes must be well represented or the test proves little.
        assert!(
            tally.allowed > tally.ops / 10 && refused > tally.ops / 10,
            "allowed {} of {}",
            tally.allowed,
            tally.ops
        );
    }
}
