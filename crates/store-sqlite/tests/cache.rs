//! The read cache never serves a record older than a write that returned: each cached lookup
//! is read (cached), written, and read again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{MessageMarker, UserMarker};
use guildhall_model::nullable::Nullable;
use guildhall_model::user::User;
use guildhall_model::{Id, Permissions, SnowflakeGenerator, Timestamp};
use guildhall_store::{
    ChannelStore, GuildStore, MemberRecord, MemberStore, MessageRecord, MessageStore, RoleStore, UserRecord, UserStore,
};
use guildhall_store_sqlite::{SqliteOptions, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("g.db"), SqliteOptions::default()).await.unwrap();
    let ids = SnowflakeGenerator::new(0, 0);
    let now = 1_735_689_600_000;
    let (guild, user): (Id<_>, Id<UserMarker>) = (ids.next(now), ids.next(now));

    store.create_user(&UserRecord { user: User::new(user, "cached"), email: None, password_hash: None }).await.unwrap();
    assert_eq!(store.token_hash(user).await.unwrap(), None);
    store.set_token_hash(user, [7; 32]).await.unwrap();
    assert_eq!(store.token_hash(user).await.unwrap(), Some([7; 32]), "a new token is seen at once");
    store.set_token_hash(user, [9; 32]).await.unwrap();
    assert_eq!(store.token_hash(user).await.unwrap(), Some([9; 32]), "a reset token stops matching at once");

    let mut record = store.user(user).await.unwrap().unwrap();
    record.user.username = "renamed".into();
    store.update_user(&record).await.unwrap();
    assert_eq!(store.user(user).await.unwrap().unwrap().user.username, "renamed");

    assert_eq!(store.guild(guild).await.unwrap(), None, "absence is cached too…");
    store.create_guild(&Guild::new(guild, "cache", user)).await.unwrap();
    assert_eq!(store.guild(guild).await.unwrap().unwrap().name, "cache", "…until a write");
    let mut g = store.guild(guild).await.unwrap().unwrap();
    g.name = "renamed guild".into();
    store.update_guild(&g).await.unwrap();
    assert_eq!(store.guild(guild).await.unwrap().unwrap().name, "renamed guild");

    store.create_role(guild, &Role::everyone(guild, Permissions::DEFAULT_EVERYONE)).await.unwrap();
    assert_eq!(store.guild_roles(guild).await.unwrap().len(), 1);
    let mut everyone = store.guild_roles(guild).await.unwrap().remove(0);
    everyone.permissions = Permissions::empty();
    store.update_role(guild, &everyone).await.unwrap();
    assert_eq!(store.guild_roles(guild).await.unwrap()[0].permissions, Permissions::empty());

    assert_eq!(store.member(guild, user).await.unwrap(), None);
    assert_eq!(store.member_count(guild).await.unwrap(), 0);
    store.add_member(&MemberRecord::new(guild, user, Timestamp::from_millis(now as i64))).await.unwrap();
    let mut member = store.member(guild, user).await.unwrap().unwrap();
    member.nick = Some("nick".into());
    store.update_member(&member).await.unwrap();
    assert_eq!(store.member(guild, user).await.unwrap().unwrap().nick.as_deref(), Some("nick"));
    assert_eq!(store.member_count(guild).await.unwrap(), 1);
    store.remove_member(guild, user).await.unwrap();
    assert_eq!(store.member(guild, user).await.unwrap(), None, "a removed member is gone at once");
    assert_eq!(store.member_count(guild).await.unwrap(), 0);

    // Channels: cached, renamed, and their last message follows creates (which do not empty
    // the cache).
    let channel_id = ids.next(now);
    let mut channel = Channel::new(channel_id, ChannelType::GuildText);
    channel.guild_id = Some(guild);
    channel.name = Some(Nullable::Value("general".into()));
    assert!(store.guild_channels(guild).await.unwrap().is_empty());
    store.create_channel(&channel).await.unwrap();
    assert_eq!(store.guild_channels(guild).await.unwrap().len(), 1, "a new channel is listed at once");
    assert_eq!(store.channel(channel_id).await.unwrap().unwrap().last_message_id, None);
    let first: Id<MessageMarker> = ids.next(now + 1);
    store.create_message(&MessageRecord::new(first, channel_id, Some(guild), user, "one")).await.unwrap();
    assert_eq!(store.channel(channel_id).await.unwrap().unwrap().last_message_id, Some(Nullable::Value(first)));
    let batch: Vec<MessageRecord> =
        (0..3).map(|n| MessageRecord::new(ids.next(now + 2 + n), channel_id, Some(guild), user, "bulk")).collect();
    store.create_messages(&batch).await.unwrap();
    assert_eq!(store.channel(channel_id).await.unwrap().unwrap().last_message_id, Some(Nullable::Value(batch[2].id)));
    channel = store.channel(channel_id).await.unwrap().unwrap();
    channel.name = Some(Nullable::Value("renamed".into()));
    store.update_channel(&channel).await.unwrap();
    let read = store.channel(channel_id).await.unwrap().unwrap();
    assert_eq!(read.name, Some(Nullable::Value("renamed".into())));
    let listed = store.guild_channels(guild).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, read.name);
    assert_eq!(listed[0].last_message_id, Some(Nullable::Value(batch[2].id)));
    assert_eq!(read.last_message_id, Some(Nullable::Value(batch[2].id)));
    store.delete_channel(channel_id).await.unwrap();
    assert_eq!(store.channel(channel_id).await.unwrap(), None);
    assert!(store.guild_channels(guild).await.unwrap().is_empty());

    // users(): cached and uncached ids together, duplicates once.
    let other: Id<UserMarker> = ids.next(now + 10);
    store.create_user(&UserRecord { user: User::new(other, "other"), email: None, password_hash: None }).await.unwrap();
    let mut names: Vec<String> =
        store.users(&[user, other, user]).await.unwrap().into_iter().map(|u| u.user.username).collect();
    names.sort();
    assert_eq!(names, ["other", "renamed"]);
}
