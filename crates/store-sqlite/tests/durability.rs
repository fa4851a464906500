//! A write that returned `Ok` survives `kill -9`.
//!
//! A child process writes messages (with a reaction each) and members, printing each one only
//! after the store acknowledged it. The test SIGKILLs the child mid-stream, reopens the
//! database, and checks every acknowledged row is there and the file passes SQLite's
//! integrity check. Three rounds reuse the same database, so recovery after a kill is itself
//! followed by more writes and another kill.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use guildhall_model::channel::{Channel, ChannelType};
use guildhall_model::guild::Guild;
use guildhall_model::id::marker::{MessageMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, Permissions, SnowflakeGenerator, Timestamp};
use guildhall_store::{
    ChannelStore, GuildStore, MemberRecord, MemberStore, MessageStore, ReactionEmoji, ReactionStore, RoleStore,
    UserRecord, UserStore,
};
use guildhall_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::io::{AsyncBufReadExt, BufReader};

const ACKS_BEFORE_KILL: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guildhall.db");
    let ids = SnowflakeGenerator::new(0, 0);
    let now = 1_735_689_600_000;
    let (guild, channel, author): (Id<_>, Id<_>, Id<UserMarker>) = (ids.next(now), ids.next(now), ids.next(now));
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
        store
            .create_user(&UserRecord { user: User::new(author, "writer"), email: None, password_hash: None })
            .await
            .unwrap();
        store.create_guild(&Guild::new(guild, "durable", author)).await.unwrap();
        store
            .create_role(guild, &guildhall_model::guild::Role::everyone(guild, Permissions::DEFAULT_EVERYONE))
            .await
            .unwrap();
        let mut ch = Channel::new(channel, ChannelType::GuildText);
        ch.guild_id = Some(guild);
        store.create_channel(&ch).await.unwrap();
        store.add_member(&MemberRecord::new(guild, author, Timestamp::from_millis(now as i64))).await.unwrap();
    }

    let mut acked_messages: Vec<Id<MessageMarker>> = Vec::new();
    let mut acked_members: Vec<Id<UserMarker>> = Vec::new();
    for round in 1..=3u8 {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_guildhall-sqlite-crash-writer"))
            .args([
                path.to_str().unwrap(),
                &guild.to_string(),
                &channel.to_string(),
                &author.to_string(),
                &round.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acks = 0;
        let mut record = |line: String| {
            let (kind, id) = line.split_once(' ').unwrap();
            match kind {
                "message" => acked_messages.push(id.parse().unwrap()),
                "member" => acked_members.push(id.parse().unwrap()),
                other => panic!("unexpected line {other}"),
            }
        };
        while acks < ACKS_BEFORE_KILL {
            let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
                .await
                .expect("writer stalled")
                .unwrap()
                .expect("writer exited early");
            record(line);
            acks += 1;
        }
        // SIGKILL: no destructors, no flush, no checkpoint.
        child.start_kill().unwrap();
        // Acknowledgements already in the pipe were acknowledged before the kill too.
        while let Ok(Some(line)) = lines.next_line().await {
            record(line);
        }
        let status = child.wait().await.unwrap();
        assert!(!status.success(), "writer must have been killed, got {status}");

        let store = SqliteStore::open(&path, SqliteOptions::default()).await.unwrap();
        store.integrity_check().await.unwrap();
        let thumbs = ReactionEmoji::unicode("✅");
        let reacted = store.reactions(&acked_messages, None).await.unwrap();
        for id in &acked_messages {
            assert!(
                store.message(channel, *id).await.unwrap().is_some(),
                "round {round}: acknowledged message {id} lost"
            );
            assert!(
                reacted.iter().any(|r| r.message_id == *id && r.emoji == thumbs),
                "round {round}: reaction on {id} lost"
            );
        }
        for id in &acked_members {
            assert!(store.user(*id).await.unwrap().is_some(), "round {round}: acknowledged user {id} lost");
            assert!(store.member(guild, *id).await.unwrap().is_some(), "round {round}: acknowledged member {id} lost");
        }
    }
    assert!(acked_messages.len() >= 3 * ACKS_BEFORE_KILL / 2);
}
