//! The backend-independent conformance suite.
//!
//! Every backend runs every function here through [`conformance_tests!`](crate::conformance_tests):
//!
//! ```text
//! guildhall_store::conformance_tests!(my_backend::open_temp);
//! ```
//!
//! where `open_temp` is an `async fn() -> (impl Store, Guard)` and `Guard` keeps the database
//! alive (e.g. a temp dir). Each case builds its own guild/users so the cases are independent.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};

use guildhall_model::channel::{Channel, ChannelType, OverwriteType, PermissionOverwrite};
use guildhall_model::flags::{ApplicationFlags, MessageFlags, Permissions};
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, MessageMarker, UserMarker};
use guildhall_model::message::{Embed, MessageType, Nonce, ReactionType};
use guildhall_model::nullable::Nullable;
use guildhall_model::snowflake::DISCORD_EPOCH_MS;
use guildhall_model::user::User;
use guildhall_model::{Id, Timestamp};

use crate::*;

/// Generates one `#[tokio::test]` per conformance case for a backend.
#[macro_export]
macro_rules! conformance_tests {
    ($open:path) => {
        $crate::conformance_tests!(@cases $open;
            users_round_trip, user_conflicts_and_email_lookup, tokens,
            applications,
            guild_lifecycle_and_cascade, guilds_for_user,
            channels_ordered_and_updated, dm_channels,
            roles_positions_and_delete_strips_members,
            members_paging_search_and_update,
            message_create_get_update,
            message_paging_latest_before_after,
            message_paging_around,
            message_paging_crosses_buckets,
            message_tombstones_never_read,
            bulk_delete_and_author_purge,
            last_message_id_tracks_newest,
            reactions,
            pins,
            invites,
            bans,
            concurrent_writes_all_land
        );
    };
    (@cases $open:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, _guard) = $open().await;
                $crate::conformance::$case(&store).await;
            }
        )+
    };
}

/// 2025-01-01T00:00:00Z.
const T0: u64 = 1_735_689_600_000;
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A unique id at a given Unix millisecond (process-wide counter in the low bits).
fn id_at<T>(unix_ms: u64) -> Id<T> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
    Id::new_checked(((unix_ms - DISCORD_EPOCH_MS) << 22) | n).unwrap()
}

fn id<T>() -> Id<T> {
    id_at(T0)
}

fn ts(unix_ms: u64) -> Timestamp {
    Timestamp::from_millis(i64::try_from(unix_ms).unwrap())
}

async fn user(store: &dyn Store, name: &str) -> Id<UserMarker> {
    let uid = id();
    let mut u = User::new(uid, name);
    u.bot = Some(true);
    store
        .create_user(&UserRecord {
            user: u,
            email: None,
            password_hash: None,
        })
        .await
        .unwrap();
    uid
}

async fn guild_with_owner(store: &dyn Store) -> (Id<GuildMarker>, Id<UserMarker>) {
    let owner = user(store, "owner").await;
    let gid = id();
    store
        .create_guild(&Guild::new(gid, "G", owner))
        .await
        .unwrap();
    store
        .create_role(gid, &Role::everyone(gid, Permissions::DEFAULT_EVERYONE))
        .await
        .unwrap();
    store
        .add_member(&MemberRecord::new(gid, owner, ts(T0)))
        .await
        .unwrap();
    (gid, owner)
}

fn text_channel(guild: Id<GuildMarker>, name: &str, position: i32) -> Channel {
    let mut c = Channel::new(id(), ChannelType::GuildText);
    c.guild_id = Some(guild);
    c.name = Some(Nullable::Value(name.to_owned()));
    c.position = Some(position);
    c.permission_overwrites = Some(Vec::new());
    c
}

fn message(
    channel: Id<ChannelMarker>,
    guild: Option<Id<GuildMarker>>,
    author: Id<UserMarker>,
    mid: Id<MessageMarker>,
    content: &str,
) -> MessageRecord {
    MessageRecord {
        id: mid,
        channel_id: channel,
        guild_id: guild,
        author_id: author,
        kind: MessageType::Default,
        content: content.to_owned(),
        timestamp: Timestamp::from_millis(i64::try_from(mid.timestamp_ms()).unwrap()),
        edited_timestamp: None,
        tts: false,
        mention_everyone: false,
        mention_user_ids: Vec::new(),
        mention_role_ids: Vec::new(),
        embeds: Vec::new(),
        attachments: Vec::new(),
        nonce: None,
        pinned: false,
        flags: MessageFlags::empty(),
        message_reference: None,
        webhook_id: None,
        application_id: None,
        webhook_author: None,
    }
}

/// A guild with a text channel and `n` messages one minute apart; ids oldest first.
async fn channel_with_messages(
    store: &dyn Store,
    n: usize,
    step_ms: u64,
) -> (Id<ChannelMarker>, Vec<Id<MessageMarker>>) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "general", 0);
    store.create_channel(&ch).await.unwrap();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mid = id_at(T0 + step_ms * i as u64);
        store
            .create_message(&message(ch.id, Some(gid), owner, mid, &format!("m{i}")))
            .await
            .unwrap();
        ids.push(mid);
    }
    (ch.id, ids)
}

fn ids_of(page: &[MessageRecord]) -> Vec<Id<MessageMarker>> {
    page.iter().map(|m| m.id).collect()
}

fn newest_first(ids: &[Id<MessageMarker>]) -> Vec<Id<MessageMarker>> {
    ids.iter().rev().copied().collect()
}

pub async fn users_round_trip(store: &dyn Store) {
    let uid = id();
    let mut u = User::new(uid, "alice");
    u.global_name = Some(Nullable::Value("Alice".into()));
    let rec = UserRecord {
        user: u.clone(),
        email: Some("alice@example.com".into()),
        password_hash: Some("$argon2id$x".into()),
    };
    store.create_user(&rec).await.unwrap();
    assert_eq!(store.user(uid).await.unwrap(), Some(rec.clone()));
    assert_eq!(store.user(id()).await.unwrap(), None);

    let mut changed = rec.clone();
    changed.user.username = "alice2".into();
    changed.user.avatar = Some("0123456789abcdef0123456789abcdef".into());
    store.update_user(&changed).await.unwrap();
    assert_eq!(store.user(uid).await.unwrap(), Some(changed));

    let other = user(store, "bob").await;
    let mut got: Vec<_> = store
        .users(&[uid, other, id()])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.user.id)
        .collect();
    got.sort();
    let mut want = vec![uid, other];
    want.sort();
    assert_eq!(got, want);
    assert!(store.users(&[]).await.unwrap().is_empty());

    let ghost = UserRecord {
        user: User::new(id(), "ghost"),
        email: None,
        password_hash: None,
    };
    assert!(matches!(
        store.update_user(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn user_conflicts_and_email_lookup(store: &dyn Store) {
    let uid = id();
    let rec = UserRecord {
        user: User::new(uid, "carol"),
        email: Some("Carol@Example.com".into()),
        password_hash: None,
    };
    store.create_user(&rec).await.unwrap();
    assert!(matches!(
        store.create_user(&rec).await,
        Err(StoreError::Conflict(_))
    ));
    let same_email = UserRecord {
        user: User::new(id(), "carol2"),
        email: Some("carol@example.com".into()),
        password_hash: None,
    };
    assert!(matches!(
        store.create_user(&same_email).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .user_by_email("CAROL@example.COM")
            .await
            .unwrap()
            .map(|r| r.user.id),
        Some(uid)
    );
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
}

pub async fn tokens(store: &dyn Store) {
    let uid = user(store, "tok").await;
    assert_eq!(store.token_hash(uid).await.unwrap(), None);
    store.set_token_hash(uid, [7; 32]).await.unwrap();
    assert_eq!(store.token_hash(uid).await.unwrap(), Some([7; 32]));
    store.set_token_hash(uid, [9; 32]).await.unwrap();
    assert_eq!(store.token_hash(uid).await.unwrap(), Some([9; 32]));
    assert!(matches!(
        store.set_token_hash(id(), [1; 32]).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn applications(store: &dyn Store) {
    let bot = user(store, "bot").await;
    let owner = user(store, "dev").await;
    let app = ApplicationRecord {
        id: bot.cast(),
        name: "bot".into(),
        description: String::new(),
        icon: None,
        owner_id: owner,
        bot_user_id: Some(bot),
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: "ab".repeat(32),
        flags: ApplicationFlags::ALL_PRIVILEGED_INTENTS,
    };
    store.create_application(&app).await.unwrap();
    assert_eq!(store.application(app.id).await.unwrap(), Some(app.clone()));
    assert_eq!(
        store.application_for_bot(bot).await.unwrap(),
        Some(app.clone())
    );
    assert_eq!(store.application_for_bot(owner).await.unwrap(), None);
    assert!(matches!(
        store.create_application(&app).await,
        Err(StoreError::Conflict(_))
    ));
    let mut changed = app.clone();
    changed.flags = ApplicationFlags::empty();
    store.update_application(&changed).await.unwrap();
    assert_eq!(
        store.application(app.id).await.unwrap().unwrap().flags,
        ApplicationFlags::empty()
    );
}

pub async fn guild_lifecycle_and_cascade(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let got = store.guild(gid).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.owner_id), ("G", owner));
    assert!(got.roles.is_empty(), "roles are their own aggregate");
    assert!(matches!(
        store.create_guild(&got).await,
        Err(StoreError::Conflict(_))
    ));

    let mut changed = got.clone();
    changed.name = "Renamed".into();
    changed.afk_timeout = 900;
    store.update_guild(&changed).await.unwrap();
    assert_eq!(store.guild(gid).await.unwrap(), Some(changed));

    let ch = text_channel(gid, "general", 0);
    store.create_channel(&ch).await.unwrap();
    let mid = id();
    store
        .create_message(&message(ch.id, Some(gid), owner, mid, "hi"))
        .await
        .unwrap();
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
    store
        .create_ban(&BanRecord {
            guild_id: gid,
            user_id: id(),
            reason: None,
        })
        .await
        .unwrap();

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
    store
        .create_guild(&Guild::new(g2, "G2", owner))
        .await
        .unwrap();
    store
        .add_member(&MemberRecord::new(g2, owner, ts(T0)))
        .await
        .unwrap();
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
    assert!(matches!(
        store.create_channel(&a).await,
        Err(StoreError::Conflict(_))
    ));
    let listed: Vec<_> = store
        .guild_channels(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
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
    let listed: Vec<_> = store
        .guild_channels(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, vec![b.id, voice.id, a.id]);

    assert!(store.delete_channel(b.id).await.unwrap());
    assert!(!store.delete_channel(b.id).await.unwrap());
    assert_eq!(store.guild_channels(gid).await.unwrap().len(), 2);
    assert!(matches!(
        store.update_channel(&b).await,
        Err(StoreError::NotFound(_))
    ));
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
    assert_eq!(
        store.dm_channel(a, b).await.unwrap().map(|c| c.id),
        Some(dm.id)
    );
    assert_eq!(
        store.dm_channel(b, a).await.unwrap().map(|c| c.id),
        Some(dm.id)
    );
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
    assert!(matches!(
        store.create_role(id(), &role("x", 1)).await,
        Err(StoreError::NotFound(_))
    ));
    let names: Vec<_> = store
        .guild_roles(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["@everyone", "helpers", "mods"]);

    store
        .set_role_positions(gid, &[(mods.id, 1), (helpers.id, 2)])
        .await
        .unwrap();
    let names: Vec<_> = store
        .guild_roles(gid)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
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
    assert_eq!(
        store.member(gid, owner).await.unwrap().unwrap().roles,
        vec![helpers.id]
    );
    assert_eq!(store.role(gid, mods.id).await.unwrap(), None);
}

pub async fn members_paging_search_and_update(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let mut users = vec![owner];
    for name in ["alpha", "alphonse", "beta", "gamma"] {
        let u = user(store, name).await;
        store
            .add_member(&MemberRecord::new(gid, u, ts(T0)))
            .await
            .unwrap();
        users.push(u);
    }
    users.sort();
    assert_eq!(store.member_count(gid).await.unwrap(), 5);
    assert!(matches!(
        store
            .add_member(&MemberRecord::new(gid, owner, ts(T0)))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .add_member(&MemberRecord::new(gid, id(), ts(T0)))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let page1: Vec<_> = store
        .members(gid, None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(page1, users[..2]);
    let page2: Vec<_> = store
        .members(gid, Some(page1[1]), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(page2, users[2..]);

    assert_eq!(
        store.search_members(gid, "ALPH", 10).await.unwrap().len(),
        2
    );
    let beta_id = {
        let all = store.users(&users).await.unwrap();
        all.into_iter()
            .find(|r| r.user.username == "beta")
            .unwrap()
            .user
            .id
    };
    let mut beta = store.member(gid, beta_id).await.unwrap().unwrap();
    beta.nick = Some("alphabet".into());
    beta.mute = true;
    beta.communication_disabled_until = Some(ts(T0 + 60_000));
    store.update_member(&beta).await.unwrap();
    assert_eq!(
        store.member(gid, beta_id).await.unwrap(),
        Some(beta.clone())
    );
    assert_eq!(
        store.search_members(gid, "alph", 10).await.unwrap().len(),
        3,
        "nick matches too"
    );
    assert_eq!(store.search_members(gid, "alph", 1).await.unwrap().len(), 1);
    assert_eq!(
        store.search_members(gid, "%", 10).await.unwrap().len(),
        0,
        "LIKE wildcards are literal"
    );

    assert!(store.remove_member(gid, beta_id).await.unwrap());
    assert!(!store.remove_member(gid, beta_id).await.unwrap());
    assert_eq!(store.member_count(gid).await.unwrap(), 4);
    assert!(matches!(
        store.update_member(&beta).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn message_create_get_update(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 1, 0).await;
    let mut m = store.message(cid, ids[0]).await.unwrap().unwrap();
    assert_eq!(m.content, "m0");
    assert_eq!(m.edited_timestamp, None);
    assert!(matches!(
        store.create_message(&m).await,
        Err(StoreError::Conflict(_))
    ));

    m.content = "edited ✓".into();
    m.edited_timestamp = Some(ts(T0 + 5_000));
    m.embeds = vec![Embed {
        title: Some("t".into()),
        ..Embed::default()
    }];
    m.nonce = Some(Nonce::String("n1".into()));
    m.mention_user_ids = vec![m.author_id];
    store.update_message(&m).await.unwrap();
    let got = store.message(cid, ids[0]).await.unwrap().unwrap();
    assert_eq!(got, m);
    assert_eq!(got.edited_timestamp, Some(ts(T0 + 5_000)));
    assert_eq!(store.message(cid, id()).await.unwrap(), None);
    // The id alone is not enough: the channel must match.
    assert_eq!(store.message(id(), ids[0]).await.unwrap(), None);
}

pub async fn message_paging_latest_before_after(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 30, 60_000).await;
    let all = newest_first(&ids);
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Latest, 10)
                .await
                .unwrap()
        ),
        all[..10]
    );
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Latest, 100)
                .await
                .unwrap()
        ),
        all
    );
    assert_eq!(
        ids_of(&store.messages(cid, MessageAnchor::Latest, 0).await.unwrap()),
        all[..1],
        "limit clamps to 1"
    );
    // before: strictly older, newest first.
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Before(ids[10]), 5)
                .await
                .unwrap()
        ),
        newest_first(&ids[5..10])
    );
    assert!(
        store
            .messages(cid, MessageAnchor::Before(ids[0]), 5)
            .await
            .unwrap()
            .is_empty()
    );
    // after: the closest newer ones, still returned newest first.
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::After(ids[10]), 5)
                .await
                .unwrap()
        ),
        newest_first(&ids[11..16])
    );
    assert!(
        store
            .messages(cid, MessageAnchor::After(ids[29]), 5)
            .await
            .unwrap()
            .is_empty()
    );
    // Paging backwards through everything visits each message exactly once.
    let mut seen = Vec::new();
    let mut anchor = MessageAnchor::Latest;
    for _ in 0..=ids.len() {
        let page = store.messages(cid, anchor, 7).await.unwrap();
        let Some(last) = page.last() else { break };
        anchor = MessageAnchor::Before(last.id);
        seen.extend(ids_of(&page));
    }
    assert_eq!(seen, all);
}

pub async fn message_paging_around(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 21, 60_000).await;
    let page = ids_of(
        &store
            .messages(cid, MessageAnchor::Around(ids[10]), 5)
            .await
            .unwrap(),
    );
    assert_eq!(page.len(), 5);
    assert!(page.contains(&ids[10]));
    assert!(page.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(page, newest_first(&ids[8..13]));
    let edge = ids_of(
        &store
            .messages(cid, MessageAnchor::Around(ids[0]), 5)
            .await
            .unwrap(),
    );
    assert!(edge.contains(&ids[0]));
    assert!(edge.iter().all(|m| *m <= ids[2]));
}

pub async fn message_paging_crosses_buckets(store: &dyn Store) {
    // 40 messages one day apart span five 10-day buckets.
    let day = 24 * 60 * 60 * 1000;
    let (cid, ids) = channel_with_messages(store, 40, day).await;
    let buckets: std::collections::BTreeSet<u64> = ids.iter().map(|m| message_bucket(*m)).collect();
    assert!(
        buckets.len() >= 4,
        "fixture spans {} buckets",
        buckets.len()
    );
    let all = newest_first(&ids);
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Latest, 100)
                .await
                .unwrap()
        ),
        all
    );
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Before(ids[35]), 30)
                .await
                .unwrap()
        ),
        newest_first(&ids[5..35])
    );
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::After(ids[3]), 30)
                .await
                .unwrap()
        ),
        newest_first(&ids[4..34])
    );
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Around(ids[20]), 11)
                .await
                .unwrap()
        ),
        newest_first(&ids[15..26])
    );
    // An anchor id that is not a message (a time sentinel) still pages correctly.
    let sentinel: Id<MessageMarker> =
        Id::new_checked(((T0 + 15 * day + 1 - DISCORD_EPOCH_MS) << 22) - 1).unwrap();
    assert_eq!(
        ids_of(
            &store
                .messages(cid, MessageAnchor::Before(sentinel), 100)
                .await
                .unwrap()
        ),
        newest_first(&ids[..16])
    );
}

pub async fn message_tombstones_never_read(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 10, 1_000).await;
    assert!(store.delete_message(cid, ids[5]).await.unwrap());
    assert!(!store.delete_message(cid, ids[5]).await.unwrap());
    assert_eq!(store.message(cid, ids[5]).await.unwrap(), None);
    for anchor in [
        MessageAnchor::Latest,
        MessageAnchor::Before(ids[9]),
        MessageAnchor::After(ids[0]),
        MessageAnchor::Around(ids[5]),
    ] {
        let page = ids_of(&store.messages(cid, anchor, 100).await.unwrap());
        assert!(!page.contains(&ids[5]), "{anchor:?} returned a tombstone");
    }
    assert_eq!(
        store
            .messages(cid, MessageAnchor::Latest, 100)
            .await
            .unwrap()
            .len(),
        9
    );
    let mut gone = store.message(cid, ids[4]).await.unwrap().unwrap();
    gone.id = ids[5];
    assert!(matches!(
        store.update_message(&gone).await,
        Err(StoreError::NotFound(_))
    ));
    // A tombstoned id cannot be reused.
    assert!(store.create_message(&gone).await.is_err());
}

pub async fn bulk_delete_and_author_purge(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 10, 1_000).await;
    let deleted = store
        .delete_messages(cid, &[ids[1], ids[2], ids[2], id()])
        .await
        .unwrap();
    let mut deleted_sorted = deleted.clone();
    deleted_sorted.sort();
    assert_eq!(deleted_sorted, vec![ids[1], ids[2]]);
    assert_eq!(
        store
            .messages(cid, MessageAnchor::Latest, 100)
            .await
            .unwrap()
            .len(),
        8
    );

    let ch = store.channel(cid).await.unwrap().unwrap();
    let gid = ch.guild_id.unwrap();
    let author = store.message(cid, ids[0]).await.unwrap().unwrap().author_id;
    let other = user(store, "other").await;
    store
        .add_member(&MemberRecord::new(gid, other, ts(T0)))
        .await
        .unwrap();
    let theirs = id_at(T0 + 100_000);
    store
        .create_message(&message(cid, Some(gid), other, theirs, "x"))
        .await
        .unwrap();
    let purge = store.messages_by_author(gid, author, ids[6]).await.unwrap();
    let mut purge_ids: Vec<_> = purge
        .iter()
        .map(|(c, m)| {
            assert_eq!(*c, cid);
            *m
        })
        .collect();
    purge_ids.sort();
    assert_eq!(purge_ids, ids[6..].to_vec());
    assert_eq!(
        store.messages_by_author(gid, other, ids[0]).await.unwrap(),
        vec![(cid, theirs)]
    );
}

pub async fn last_message_id_tracks_newest(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 3, 1_000).await;
    let ch = store.channel(cid).await.unwrap().unwrap();
    assert_eq!(ch.last_message_id, Some(Nullable::Value(ids[2])));
}

pub async fn reactions(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 2, 1_000).await;
    let (a, b) = (user(store, "ra").await, user(store, "rb").await);
    let thumbs = ReactionEmoji::unicode("👍");
    let party = ReactionEmoji::custom(id(), "party", true);
    let m = ids[0];
    assert!(
        store
            .add_reaction(cid, m, &thumbs, a, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_reaction(cid, m, &thumbs, a, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert!(
        store
            .add_reaction(cid, m, &thumbs, b, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert!(
        store
            .add_reaction(cid, m, &party, b, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert!(
        store
            .add_reaction(cid, ids[1], &party, a, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert_eq!(store.reaction_emoji_count(m).await.unwrap(), 2);

    let seen_by_a = store.reactions(&[m, ids[1]], Some(a)).await.unwrap();
    let on_m: Vec<_> = seen_by_a.iter().filter(|s| s.message_id == m).collect();
    assert_eq!(on_m.len(), 2);
    assert_eq!(
        (on_m[0].emoji.name.as_str(), on_m[0].normal, on_m[0].me),
        ("👍", 2, true)
    );
    assert_eq!(
        (on_m[1].emoji.clone(), on_m[1].normal, on_m[1].me),
        (party.clone(), 1, false)
    );
    assert_eq!(
        seen_by_a.iter().filter(|s| s.message_id == ids[1]).count(),
        1
    );
    assert!(
        store
            .reactions(&[m], None)
            .await
            .unwrap()
            .iter()
            .all(|s| !s.me)
    );

    let mut both = vec![a, b];
    both.sort();
    assert_eq!(
        store
            .reaction_users(m, &thumbs, ReactionType::Normal, None, 25)
            .await
            .unwrap(),
        both
    );
    assert_eq!(
        store
            .reaction_users(m, &thumbs, ReactionType::Normal, Some(both[0]), 25)
            .await
            .unwrap(),
        vec![both[1]]
    );
    assert_eq!(
        store
            .reaction_users(m, &thumbs, ReactionType::Normal, None, 1)
            .await
            .unwrap(),
        vec![both[0]]
    );
    assert!(
        store
            .reaction_users(m, &thumbs, ReactionType::Burst, None, 25)
            .await
            .unwrap()
            .is_empty()
    );

    assert!(
        store
            .remove_reaction(m, &thumbs, a, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_reaction(m, &thumbs, a, ReactionType::Normal)
            .await
            .unwrap()
    );
    assert_eq!(store.remove_emoji_reactions(m, &party).await.unwrap(), 1);
    assert_eq!(store.reaction_emoji_count(m).await.unwrap(), 1);
    assert_eq!(store.remove_all_reactions(m).await.unwrap(), 1);
    assert!(store.reactions(&[m], Some(a)).await.unwrap().is_empty());
    // Deleting a message drops its reactions.
    store.delete_message(cid, ids[1]).await.unwrap();
    assert!(store.reactions(&[ids[1]], None).await.unwrap().is_empty());
}

pub async fn pins(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 4, 1_000).await;
    assert!(store.pin(cid, ids[0], ts(T0 + 10)).await.unwrap());
    assert!(!store.pin(cid, ids[0], ts(T0 + 11)).await.unwrap());
    assert!(store.pin(cid, ids[2], ts(T0 + 20)).await.unwrap());
    assert!(store.pin(cid, ids[1], ts(T0 + 30)).await.unwrap());
    assert!(matches!(
        store.pin(cid, id(), ts(T0)).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.pin_count(cid).await.unwrap(), 3);
    let pins: Vec<_> = store
        .pins(cid, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.message_id)
        .collect();
    assert_eq!(pins, vec![ids[1], ids[2], ids[0]]);
    let older: Vec<_> = store
        .pins(cid, Some(ts(T0 + 30)), 1)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.message_id)
        .collect();
    assert_eq!(older, vec![ids[2]]);
    assert!(store.message(cid, ids[2]).await.unwrap().unwrap().pinned);
    assert!(store.unpin(cid, ids[2]).await.unwrap());
    assert!(!store.unpin(cid, ids[2]).await.unwrap());
    assert!(!store.message(cid, ids[2]).await.unwrap().unwrap().pinned);
    store.delete_message(cid, ids[1]).await.unwrap();
    assert_eq!(store.pin_count(cid).await.unwrap(), 1);
}

pub async fn invites(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "general", 0);
    store.create_channel(&ch).await.unwrap();
    let make = |code: &str, max_uses: u32| InviteRecord {
        code: code.into(),
        guild_id: gid,
        channel_id: ch.id,
        inviter_id: Some(owner),
        max_age: 86_400,
        max_uses,
        temporary: false,
        uses: 0,
        created_at: ts(T0),
    };
    let code_a = format!("a{}", gid);
    let code_b = format!("b{}", gid);
    store.create_invite(&make(&code_a, 2)).await.unwrap();
    store.create_invite(&make(&code_b, 0)).await.unwrap();
    assert!(matches!(
        store.create_invite(&make(&code_a, 1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.invite(&code_a).await.unwrap(), Some(make(&code_a, 2)));
    assert_eq!(store.channel_invites(ch.id).await.unwrap().len(), 2);
    assert_eq!(store.guild_invites(gid).await.unwrap().len(), 2);

    assert_eq!(
        store.use_invite(&code_a).await.unwrap().map(|i| i.uses),
        Some(1)
    );
    assert_eq!(
        store.use_invite(&code_a).await.unwrap().map(|i| i.uses),
        Some(2)
    );
    assert_eq!(store.use_invite(&code_a).await.unwrap(), None, "used up");
    for _ in 0..5 {
        assert!(
            store.use_invite(&code_b).await.unwrap().is_some(),
            "unlimited"
        );
    }
    assert_eq!(store.use_invite("nope").await.unwrap(), None);
    assert_eq!(
        store.delete_invite(&code_a).await.unwrap().map(|i| i.code),
        Some(code_a.clone())
    );
    assert_eq!(store.delete_invite(&code_a).await.unwrap(), None);
    store.delete_channel(ch.id).await.unwrap();
    assert_eq!(
        store.invite(&code_b).await.unwrap(),
        None,
        "invites go with their channel"
    );
}

pub async fn bans(store: &dyn Store) {
    let (gid, _) = guild_with_owner(store).await;
    let mut banned: Vec<Id<UserMarker>> = (0..5).map(|_| id()).collect();
    banned.sort();
    for (i, u) in banned.iter().enumerate() {
        store
            .create_ban(&BanRecord {
                guild_id: gid,
                user_id: *u,
                reason: (i == 0).then(|| "spam".to_owned()),
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .ban(gid, banned[0])
            .await
            .unwrap()
            .unwrap()
            .reason
            .as_deref(),
        Some("spam")
    );
    store
        .create_ban(&BanRecord {
            guild_id: gid,
            user_id: banned[0],
            reason: Some("again".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .ban(gid, banned[0])
            .await
            .unwrap()
            .unwrap()
            .reason
            .as_deref(),
        Some("again")
    );
    let ids = |v: Vec<BanRecord>| v.into_iter().map(|b| b.user_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.bans(gid, None, None, 1000).await.unwrap()),
        banned
    );
    assert_eq!(
        ids(store.bans(gid, None, Some(banned[1]), 2).await.unwrap()),
        banned[2..4]
    );
    assert_eq!(
        ids(store.bans(gid, Some(banned[3]), None, 2).await.unwrap()),
        banned[1..3]
    );
    assert_eq!(
        ids(store
            .bans(gid, Some(banned[3]), Some(banned[0]), 10)
            .await
            .unwrap()),
        banned[..3],
        "before wins"
    );
    assert!(store.delete_ban(gid, banned[0]).await.unwrap());
    assert!(!store.delete_ban(gid, banned[0]).await.unwrap());
    assert_eq!(store.ban(gid, banned[0]).await.unwrap(), None);
}

pub async fn concurrent_writes_all_land(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "busy", 0);
    store.create_channel(&ch).await.unwrap();
    let writes = (0..200).map(|i| {
        let mid = id_at(T0 + i);
        async move {
            store
                .create_message(&message(ch.id, Some(gid), owner, mid, "x"))
                .await
                .unwrap();
            mid
        }
    });
    let mut written: Vec<_> = futures_join_all(writes).await;
    written.sort();
    let mut read = Vec::new();
    let mut anchor = MessageAnchor::Latest;
    // Bounded so a backend whose `Before` is not strict fails instead of looping forever.
    for _ in 0..=written.len() {
        let page = store.messages(ch.id, anchor, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        anchor = MessageAnchor::Before(last.id);
        read.extend(ids_of(&page));
    }
    read.reverse();
    assert_eq!(read, written);
}

/// Polls all futures concurrently on the current task (the store is borrowed, so no spawning).
async fn futures_join_all<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> =
        futs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
