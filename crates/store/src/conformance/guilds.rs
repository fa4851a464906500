//! Conformance cases: Guilds, channels, roles and members.

use super::*;

pub async fn guild_lifecycle_and_cascade(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let got = store.guild(gid).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.owner_id), ("G", owner));
    assert!(got.roles.is_empty(), "roles are their own aggregate");
    assert!(matches!(store.create_guild(&got).await, Err(StoreError::Conflict(_))));

    let mut changed = got.clone();
    changed.name = "Renamed".into();
    changed.afk_timeout = 900;
    store.update_guild(&changed).await.unwrap();
    assert_eq!(store.guild(gid).await.unwrap(), Some(changed));

    let ch = text_channel(gid, "general", 0);
    store.create_channel(&ch).await.unwrap();
    let mid = id();
    store.create_message(&message(ch.id, Some(gid), owner, mid, "hi")).await.unwrap();
    store
        .create_invite(&InviteRecord {
            code: format!("c{}", mid),
            guild_id: gid,
            channel_id: ch.id,
            inviter_id: Some(owner),
            max_age: 0,
            max_uses: 0,
            temporary: false,
            uses: 0,
            created_at: ts(T0),
        })
        .await
        .unwrap();
    store.create_ban(&BanRecord { guild_id: gid, user_id: id(), reason: None }).await.unwrap();

    assert!(store.delete_guild(gid).await.unwrap());
    assert!(!store.delete_guild(gid).await.unwrap());
    assert_eq!(store.guild(gid).await.unwrap(), None);
    assert_eq!(store.channel(ch.id).await.unwrap(), None);
    assert_eq!(store.message(ch.id, mid).await.unwrap(), None);
    assert!(store.guild_roles(gid).await.unwrap().is_empty());
    assert_eq!(store.member(gid, owner).await.unwrap(), None);
    assert!(store.guild_invites(gid).await.unwrap().is_empty());
    assert!(store.bans(gid, None, None, 100).await.unwrap().is_empty());
    // The user outlives the guild.
    assert!(store.user(owner).await.unwrap().is_some());
}

pub async fn guilds_for_user(store: &dyn Store) {
    let (g1, owner) = guild_with_owner(store).await;
    let g2 = id();
    store.create_guild(&Guild::new(g2, "G2", owner)).await.unwrap();
    store.add_member(&MemberRecord::new(g2, owner, ts(T0))).await.unwrap();
    let lonely = user(store, "lonely").await;
    let mut want = vec![g1, g2];
    want.sort();
    assert_eq!(store.guild_ids_for_user(owner).await.unwrap(), want);
    assert!(store.guild_ids_for_user(lonely).await.unwrap().is_empty());
}

pub async fn channels_ordered_and_updated(store: &dyn Store) {
    let (gid, _) = guild_with_owner(store).await;
    let b = text_channel(gid, "b", 1);
    let a = text_channel(gid, "a", 0);
    let mut voice = Channel::new(id(), ChannelType::GuildVoice);
    voice.guild_id = Some(gid);
    voice.name = Some(Nullable::Value("Voice".into()));
    voice.position = Some(2);
    voice.bitrate = Some(64_000);
    voice.user_limit = Some(0);
    for c in [&b, &a, &voice] {
        store.create_channel(c).await.unwrap();
    }
    assert!(matches!(store.create_channel(&a).await, Err(StoreError::Conflict(_))));
    let listed: Vec<_> = store.guild_channels(gid).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![a.id, b.id, voice.id]);
    assert_eq!(store.channel(voice.id).await.unwrap(), Some(voice.clone()));

    let mut changed = a.clone();
    changed.topic = Some(Nullable::Value("topic".into()));
    changed.position = Some(5);
    changed.permission_overwrites = Some(vec![PermissionOverwrite {
        id: gid.cast(),
        kind: OverwriteType::Role,
        allow: Permissions::empty(),
        deny: Permissions::SEND_MESSAGES,
    }]);
    store.update_channel(&changed).await.unwrap();
    assert_eq!(store.channel(a.id).await.unwrap(), Some(changed));
    let listed: Vec<_> = store.guild_channels(gid).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![b.id, voice.id, a.id]);

    assert!(store.delete_channel(b.id).await.unwrap());
    assert!(!store.delete_channel(b.id).await.unwrap());
    assert_eq!(store.guild_channels(gid).await.unwrap().len(), 2);
    assert!(matches!(store.update_channel(&b).await, Err(StoreError::NotFound(_))));
}

pub async fn dm_channels(store: &dyn Store) {
    let a = user(store, "a").await;
    let b = user(store, "b").await;
    let c = user(store, "c").await;
    assert_eq!(store.dm_channel(a, b).await.unwrap(), None);
    let mut dm = Channel::new(id(), ChannelType::Dm);
    dm.recipients = Some(vec![User::new(a, "a"), User::new(b, "b")]);
    dm.last_message_id = Some(Nullable::Null);
    store.create_channel(&dm).await.unwrap();
    assert_eq!(store.dm_channel(a, b).await.unwrap().map(|c| c.id), Some(dm.id));
    assert_eq!(store.dm_channel(b, a).await.unwrap().map(|c| c.id), Some(dm.id));
    assert_eq!(store.dm_channel(a, c).await.unwrap(), None);
}

fn role(name: &str, position: i32) -> Role {
    let mut r = Role::everyone(id::<GuildMarker>(), Permissions::empty());
    r.id = id();
    r.name = name.into();
    r.position = position;
    r
}

pub async fn roles_positions_and_delete_strips_members(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let mods = role("mods", 2);
    let helpers = role("helpers", 1);
    store.create_role(gid, &mods).await.unwrap();
    store.create_role(gid, &helpers).await.unwrap();
    assert!(matches!(store.create_role(id(), &role("x", 1)).await, Err(StoreError::NotFound(_))));
    let names: Vec<_> = store.guild_roles(gid).await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["@everyone", "helpers", "mods"]);

    store.set_role_positions(gid, &[(mods.id, 1), (helpers.id, 2)]).await.unwrap();
    let names: Vec<_> = store.guild_roles(gid).await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["@everyone", "mods", "helpers"]);

    let mut changed = store.role(gid, mods.id).await.unwrap().unwrap();
    changed.permissions = Permissions::KICK_MEMBERS;
    changed.hoist = true;
    store.update_role(gid, &changed).await.unwrap();
    assert_eq!(store.role(gid, mods.id).await.unwrap(), Some(changed));

    let mut m = store.member(gid, owner).await.unwrap().unwrap();
    m.roles = vec![mods.id, helpers.id];
    store.update_member(&m).await.unwrap();
    assert!(store.delete_role(gid, mods.id).await.unwrap());
    assert!(!store.delete_role(gid, mods.id).await.unwrap());
    assert_eq!(store.member(gid, owner).await.unwrap().unwrap().roles, vec![helpers.id]);
    assert_eq!(store.role(gid, mods.id).await.unwrap(), None);
}

pub async fn members_paging_search_and_update(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let mut users = vec![owner];
    for name in ["alpha", "alphonse", "beta", "gamma"] {
        let u = user(store, name).await;
        store.add_member(&MemberRecord::new(gid, u, ts(T0))).await.unwrap();
        users.push(u);
    }
    users.sort();
    assert_eq!(store.member_count(gid).await.unwrap(), 5);
    assert!(matches!(store.add_member(&MemberRecord::new(gid, owner, ts(T0))).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.add_member(&MemberRecord::new(gid, id(), ts(T0))).await, Err(StoreError::NotFound(_))));

    let page1: Vec<_> = store.members(gid, None, 2).await.unwrap().into_iter().map(|m| m.user_id).collect();
    assert_eq!(page1, users[..2]);
    let page2: Vec<_> = store.members(gid, Some(page1[1]), 10).await.unwrap().into_iter().map(|m| m.user_id).collect();
    assert_eq!(page2, users[2..]);

    assert_eq!(store.search_members(gid, "ALPH", 10).await.unwrap().len(), 2);
    let beta_id = {
        let all = store.users(&users).await.unwrap();
        all.into_iter().find(|r| r.user.username == "beta").unwrap().user.id
    };
    let mut beta = store.member(gid, beta_id).await.unwrap().unwrap();
    beta.nick = Some("alphabet".into());
    beta.mute = true;
    beta.communication_disabled_until = Some(ts(T0 + 60_000));
    store.update_member(&beta).await.unwrap();
    assert_eq!(store.member(gid, beta_id).await.unwrap(), Some(beta.clone()));
    assert_eq!(store.search_members(gid, "alph", 10).await.unwrap().len(), 3, "nick matches too");
    assert_eq!(store.search_members(gid, "alph", 1).await.unwrap().len(), 1);
    assert_eq!(store.search_members(gid, "%", 10).await.unwrap().len(), 0, "LIKE wildcards are literal");

    assert!(store.remove_member(gid, beta_id).await.unwrap());
    assert!(!store.remove_member(gid, beta_id).await.unwrap());
    assert_eq!(store.member_count(gid).await.unwrap(), 4);
    assert!(matches!(store.update_member(&beta).await, Err(StoreError::NotFound(_))));
}
