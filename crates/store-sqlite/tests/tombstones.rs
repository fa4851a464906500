//! SQLite-specific: a deleted message's body is gone from the file, not only hidden.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::guild::Guild;
use guildhall_model::user::User;
use guildhall_model::{Id, SnowflakeGenerator};
use guildhall_store::{ChannelStore, GuildStore, MessageRecord, MessageStore, UserRecord, UserStore};
use guildhall_store_sqlite::{SqliteOptions, SqliteStore};

#[tokio::test]
async fn deleted_content_is_erased_and_schema_is_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
    let ids = SnowflakeGenerator::new(0, 0);
    let now = 1_735_689_600_000u64;
    let (author, guild, channel, message): (Id<_>, Id<_>, Id<_>, Id<_>) =
        (ids.next(now), ids.next(now), ids.next(now), ids.next(now));
    store.create_user(&UserRecord { user: User::new(author, "a"), email: None, password_hash: None }).await.unwrap();
    store.create_guild(&Guild::new(guild, "g", author)).await.unwrap();
    let mut ch = Channel::new(channel, ChannelType::GuildText);
    ch.guild_id = Some(guild);
    store.create_channel(&ch).await.unwrap();
    let secret = "my secret password is hunter2";
    store.create_message(&MessageRecord::new(message, channel, Some(guild), author, secret)).await.unwrap();
    assert!(store.delete_message(channel, message).await.unwrap());
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let (deleted, data): (bool, String) = conn
        .query_row("SELECT deleted, data FROM messages WHERE id = ?", [message.get() as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(deleted);
    assert!(!data.contains("hunter2"), "tombstone still holds the content: {data}");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 2, "schema version = number of migrations");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");

    // A database from a newer guildhall is refused, not misread.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(SqliteStore::open(&path, SqliteOptions::default()).await.is_err());
}
