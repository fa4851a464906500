//! Child process for `tests/durability.rs`: writes forever and acknowledges each write on
//! stdout only after the store returned `Ok`. The test kills it with SIGKILL mid-stream.
//!
//! Usage: `guildhall-sqlite-crash-writer DB_PATH GUILD_ID CHANNEL_ID AUTHOR_ID ROUND`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use guildhall_model::message::ReactionType;
use guildhall_model::{Id, SnowflakeGenerator, Timestamp};
use guildhall_store::{
    MemberRecord, MemberStore, MessageRecord, MessageStore, ReactionEmoji, ReactionStore, UserRecord, UserStore,
};
use guildhall_store_sqlite::{SqliteOptions, SqliteStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let guild = args[2].parse::<Id<_>>().unwrap();
    let channel = args[3].parse::<Id<_>>().unwrap();
    let author = args[4].parse::<Id<_>>().unwrap();
    let round: u8 = args[5].parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let store = SqliteStore::open(path, SqliteOptions::default()).await.unwrap();
        // The process bits keep each round's ids distinct from earlier rounds.
        let ids = SnowflakeGenerator::new(1, round);
        let mut out = std::io::stdout().lock();
        for i in 0u64.. {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
            match i % 3 {
                // Messages: the hot path.
                0 | 1 => {
                    let id = ids.next(now);
                    store
                        .create_message(&MessageRecord::new(id, channel, Some(guild), author, format!("durable {i}")))
                        .await
                        .unwrap();
                    store
                        .add_reaction(channel, id, &ReactionEmoji::unicode("✅"), author, ReactionType::Normal)
                        .await
                        .unwrap();
                    writeln!(out, "message {id}").unwrap();
                }
                // A user joining: two aggregates.
                _ => {
                    let uid = ids.next(now);
                    let user = guildhall_model::user::User::new(uid, format!("u{i}"));
                    store.create_user(&UserRecord { user, email: None, password_hash: None }).await.unwrap();
                    store.add_member(&MemberRecord::new(guild, uid, Timestamp::from_millis(now as i64))).await.unwrap();
                    writeln!(out, "member {uid}").unwrap();
                }
            }
            out.flush().unwrap();
        }
    });
}
