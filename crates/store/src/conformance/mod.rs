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
use guildhall_model::flags::{ApplicationFlags, Permissions};
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, MessageMarker, UserMarker};
use guildhall_model::message::{Embed, Nonce, ReactionType};
use guildhall_model::nullable::Nullable;
use guildhall_model::snowflake::DISCORD_EPOCH_MS;
use guildhall_model::user::User;
use guildhall_model::{Id, Timestamp};

use crate::*;

mod accounts;
mod blobs;
mod guilds;
mod messages;
mod social;

pub use accounts::*;
pub use blobs::*;
pub use guilds::*;
pub use messages::*;
pub use social::*;

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
            messages_bulk_create,
            message_paging_latest_before_after,
            message_paging_around,
            message_paging_crosses_buckets,
            message_paging_matches_reference_model,
            message_pages_stay_in_their_channel,
            message_tombstones_never_read,
            bulk_delete_and_author_purge,
            last_message_id_tracks_newest,
            reactions,
            pins,
            invites,
            bans,
            webhooks,
            users_by_username,
            concurrent_writes_all_land,
            concurrent_failures_stay_alone
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
    store.create_user(&UserRecord { user: u, email: None, password_hash: None }).await.unwrap();
    uid
}

async fn guild_with_owner(store: &dyn Store) -> (Id<GuildMarker>, Id<UserMarker>) {
    let owner = user(store, "owner").await;
    let gid = id();
    store.create_guild(&Guild::new(gid, "G", owner)).await.unwrap();
    store.create_role(gid, &Role::everyone(gid, Permissions::DEFAULT_EVERYONE)).await.unwrap();
    store.add_member(&MemberRecord::new(gid, owner, ts(T0))).await.unwrap();
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
    MessageRecord::new(mid, channel, guild, author, content)
}

/// One page of message ids.
async fn page_ids(
    store: &dyn Store,
    channel: Id<ChannelMarker>,
    anchor: MessageAnchor,
    limit: u32,
) -> Vec<Id<MessageMarker>> {
    ids_of(&store.messages(channel, anchor, limit).await.unwrap())
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
        store.create_message(&message(ch.id, Some(gid), owner, mid, &format!("m{i}"))).await.unwrap();
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
