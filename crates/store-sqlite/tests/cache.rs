//! The read cache never serves a record older than a write that returned: each cached lookup
//! is read (cached), written, and read again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::UserMarker;
use guildhall_model::user::User;
use guildhall_model::{Id, Permissions, SnowflakeGenerator, Timestamp};
use guildhall_store::{GuildStore, MemberRecord, MemberStore, RoleStore, UserRecord, UserStore};
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
    store.add_member(&MemberRecord::new(guild, user, Timestamp::from_millis(now as i64))).await.unwrap();
    let mut member = store.member(guild, user).await.unwrap().unwrap();
    member.nick = Some("nick".into());
    store.update_member(&member).await.unwrap();
    assert_eq!(store.member(guild, user).await.unwrap().unwrap().nick.as_deref(), Some("nick"));
    store.remove_member(guild, user).await.unwrap();
    assert_eq!(store.member(guild, user).await.unwrap(), None, "a removed member is gone at once");
}
