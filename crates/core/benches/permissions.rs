//! Permission computation per request: a member with many roles in a guild with many roles,
//! in a channel with many overwrites (the worst case a permission-heavy read computes once per
//! channel it lists).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use guildhall_core::permissions::{MemberPermissionContext, channel_permissions, guild_permissions};
use guildhall_model::channel::{Channel, ChannelType, OverwriteType, PermissionOverwrite};
use guildhall_model::guild::Role;
use guildhall_model::id::Id;
use guildhall_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Permissions, Timestamp};
use std::hint::black_box;

fn id<T>(n: u64) -> Id<T> {
    Id::new_checked(1_000_000 + n).unwrap()
}

fn bench(c: &mut Criterion) {
    let guild: Id<GuildMarker> = id(0);
    let user: Id<UserMarker> = id(1);
    // 250 roles (Discord's limit), the member holds 20 of them.
    let mut roles = vec![Role::everyone(guild, Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES)];
    for n in 0..250 {
        let mut role = Role::everyone(guild, Permissions::ADD_REACTIONS);
        role.id = id(100 + n);
        role.name = format!("role-{n}");
        role.position = i32::try_from(n).unwrap() + 1;
        roles.push(role);
    }
    let member_roles: Vec<Id<RoleMarker>> = (0..20).map(|n| id(100 + n * 12)).collect();
    let mut channel = Channel::new(id(2), ChannelType::GuildText);
    channel.guild_id = Some(guild);
    // 50 overwrites: @everyone, 48 roles (some of the member's), the member.
    let mut overwrites = vec![PermissionOverwrite {
        id: guild.cast(),
        kind: OverwriteType::Role,
        allow: Permissions::empty(),
        deny: Permissions::VIEW_CHANNEL,
    }];
    for n in 0..48 {
        overwrites.push(PermissionOverwrite {
            id: id(100 + n * 5),
            kind: OverwriteType::Role,
            allow: if n % 2 == 0 { Permissions::VIEW_CHANNEL } else { Permissions::EMBED_LINKS },
            deny: if n % 3 == 0 { Permissions::ATTACH_FILES } else { Permissions::empty() },
        });
    }
    overwrites.push(PermissionOverwrite {
        id: user.cast(),
        kind: OverwriteType::Member,
        allow: Permissions::SEND_MESSAGES,
        deny: Permissions::empty(),
    });
    channel.permission_overwrites = Some(overwrites);
    let ctx = MemberPermissionContext {
        guild_id: guild,
        owner_id: id(3),
        user_id: user,
        member_roles: &member_roles,
        guild_roles: &roles,
        communication_disabled_until: None,
        now: Timestamp::from_millis(1_735_689_600_000),
    };
    assert!(channel_permissions(&ctx, &channel, None).contains(Permissions::VIEW_CHANNEL));

    let mut group = c.benchmark_group("permissions");
    group.bench_function("guild_250_roles_member_20", |b| b.iter(|| guild_permissions(black_box(&ctx))));
    group.bench_function("channel_50_overwrites", |b| {
        b.iter(|| channel_permissions(black_box(&ctx), black_box(&channel), None))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
