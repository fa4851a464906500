//! The embedded default store: SQLite in WAL mode.
//!
//! One writer connection, owned by a writer thread, serializes every write in an `IMMEDIATE`
//! transaction and commits writes that queue up together (see `writer`). A small pool of
//! read-only connections serves reads concurrently (WAL lets readers proceed during a write).
//! Reads run on the calling task: they are short indexed lookups in memory-mapped pages, and a
//! hand-off to the blocking pool per read cost more CPU (futex wake-ups and context switches)
//! than the query itself under load. Long operations (open, integrity check) use the blocking pool.
//!
//! Durability: `journal_mode=WAL` with `synchronous=NORMAL`: a committed transaction is in the
//! WAL file (handed to the OS) before the call returns, so it survives the process being killed
//! (`tests/durability.rs` proves it with SIGKILL); an OS crash or power loss can lose the last
//! transactions but never corrupts the database. `Durability::Full` fsyncs every commit.
//!
//! Schema migrations are embedded and applied in order at open; the schema version is SQLite's
//! `user_version`, and a database from a newer guildhall is refused rather than misread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use guildhall_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

pub use blobs::FsBlobStore;

mod blobs;
mod cache;
mod codec;
mod guilds;
mod members;
mod messages;
mod moderation;
mod reactions;
mod users;
mod webhooks;
mod writer;

/// Embedded migrations, applied in order; index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_init.sql"), include_str!("migrations/0002_webhooks.sql")];

/// How hard a commit is pushed to disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// Survives a process crash; an OS crash may lose the newest commits (`synchronous=NORMAL`).
    #[default]
    Normal,
    /// Survives power loss too: every commit is fsynced (`synchronous=FULL`).
    Full,
}

/// Options for [`SqliteStore::open`].
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Read connections in the pool.
    pub readers: usize,
    /// Commit durability.
    pub durability: Durability,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { readers: 4, durability: Durability::Normal }
    }
}

/// A SQLite-backed store. Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Queue,
    generation: Arc<cache::Generation>,
    cache: Caches,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Semaphore,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

pub(crate) fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Maps a SQLite error, turning constraint violations into the store's vocabulary.
pub(crate) fn map_err(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            match f.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::NotFound(what),
                _ => StoreError::Conflict(what),
            }
        }
        _ => backend(e),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the connection usable (the open transaction rolls
    // back on drop), so poisoning carries no information here.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: impl AsRef<Path>, options: SqliteOptions) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, &options)).await.map_err(backend)?
    }

    fn open_blocking(path: PathBuf, options: &SqliteOptions) -> StoreResult<Self> {
        let mut writer = Connection::open(&path).map_err(backend)?;
        let synchronous = match options.durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; {CACHE_PRAGMAS}"
            ))
            .map_err(backend)?;
        migrate(&mut writer)?;
        writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let readers = (0..options.readers.max(1))
            .map(|_| {
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
                )
                .map_err(backend)?;
                conn.execute_batch(&format!("PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; {CACHE_PRAGMAS}"))
                    .map_err(backend)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(conn)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let count = readers.len();
        let generation = Arc::new(cache::Generation::default());
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: writer::start(writer, generation.clone())?,
                generation,
                cache: Caches::default(),
                readers: Mutex::new(readers),
                reader_permits: Semaphore::new(count),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in an immediate write transaction on the writer thread; returns once the
    /// transaction holding it has committed (and the read cache no longer serves what it
    /// replaced). If `f` fails, its changes are rolled back.
    pub(crate) async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        self.queue_write(f, true).await
    }

    /// [`Self::write`] for the message plane (messages, reactions, pins): writes that never
    /// touch a cached record, so they leave the read cache alone. Only use it for closures
    /// that write nothing but the `messages`, `reactions` and `pins` tables and a channel's
    /// `last_message_id` (channels are not cached).
    pub(crate) async fn write_messages<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        self.queue_write(f, false).await
    }

    async fn queue_write<R, F>(&self, f: F, invalidates: bool) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.inner
            .writer
            .send(Box::new(writer::Write::new(f, reply, invalidates)))
            .map_err(|_| StoreError::Backend("the store's writer thread has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Backend("the store's writer thread dropped a write".into()))?
    }

    pub(crate) fn caches(&self) -> &Caches {
        &self.inner.cache
    }

    /// The cache generation now (see `cache`).
    pub(crate) fn inner_generation(&self) -> u64 {
        self.inner.generation.current()
    }

    /// A read through one of the caches: served from `slot` when valid, else read and kept.
    pub(crate) async fn cached<K, V, F>(
        &self,
        slot: impl Fn(&Caches) -> &cache::Slot<K, V>,
        key: K,
        f: F,
    ) -> StoreResult<V>
    where
        K: std::hash::Hash + Eq,
        V: Clone,
        F: FnOnce(&Connection) -> StoreResult<V>,
    {
        let read_in = self.inner.generation.current();
        if let Some(v) = slot(&self.inner.cache).get(read_in, &key) {
            return Ok(v);
        }
        let value = self.read(f).await?;
        slot(&self.inner.cache).put(read_in, self.inner.generation.current(), key, value.clone());
        Ok(value)
    }

    /// Runs `f` on a pooled read-only connection, on the calling task (see the crate docs).
    pub(crate) async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R>,
    {
        let _permit = self.inner.reader_permits.acquire().await.map_err(backend)?;
        // The permit guarantees a pooled connection is free.
        let conn = Pooled::take(&self.inner.readers)?;
        f(conn.get()?)
    }

    /// [`Self::read`] on the blocking pool, for operations that may take long.
    async fn read_blocking<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let _permit = self.inner.reader_permits.acquire().await.map_err(backend)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = Pooled::take(&inner.readers)?;
            f(conn.get()?)
        })
        .await
        .map_err(backend)?
    }

    /// Runs SQLite's own consistency check; `Ok(())` when the database is intact.
    pub async fn integrity_check(&self) -> StoreResult<()> {
        self.read_blocking(|conn| {
            let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(backend)?;
            if result == "ok" { Ok(()) } else { Err(StoreError::Corrupt { table: "*", source: result.into() }) }
        })
        .await
    }
}

/// Page cache per connection (negative: KiB) and memory-mapped reads of the database file,
/// so hot pages are read without a syscall.
const CACHE_PRAGMAS: &str = "PRAGMA cache_size = -16384; PRAGMA mmap_size = 1073741824;";

/// The cached lookups (see `cache`), keyed by SQL ids.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    pub(crate) token_hash: cache::Slot<i64, Option<[u8; 32]>>,
    pub(crate) user: cache::Slot<i64, Option<guildhall_store::UserRecord>>,
    pub(crate) bot_application: cache::Slot<i64, Option<guildhall_store::ApplicationRecord>>,
    pub(crate) guild: cache::Slot<i64, Option<guildhall_model::guild::Guild>>,
    pub(crate) roles: cache::Slot<i64, Vec<guildhall_model::guild::Role>>,
    pub(crate) member: cache::Slot<(i64, i64), Option<guildhall_store::MemberRecord>>,
    pub(crate) member_count: cache::Slot<i64, u64>,
    pub(crate) channel: cache::Slot<i64, Option<guildhall_model::channel::Channel>>,
    pub(crate) guild_channels: cache::Slot<i64, Vec<guildhall_model::channel::Channel>>,
    /// Each channel's newest message id as written by this process. Message creates do not
    /// invalidate the cache (they would empty it at every message), so a cached channel's
    /// `last_message_id` may be old: reads take the larger of the two.
    pub(crate) last_message: Mutex<std::collections::HashMap<i64, i64>>,
}

impl Caches {
    /// Called once a message create has committed, before it returns.
    pub(crate) fn advance_last_message(&self, channel: i64, message: i64) {
        let mut map = lock(&self.last_message);
        let last = map.entry(channel).or_insert(message);
        *last = (*last).max(message);
    }

    /// `channel` with `last_message_id` at least the newest create this process committed.
    pub(crate) fn with_last_message(
        &self,
        mut channel: guildhall_model::channel::Channel,
    ) -> guildhall_model::channel::Channel {
        use guildhall_model::nullable::Nullable;
        let Some(&newest) = lock(&self.last_message).get(&codec::sql_id(channel.id)) else { return channel };
        let known = match channel.last_message_id {
            Some(Nullable::Value(id)) => codec::sql_id(id),
            _ => 0,
        };
        if newest > known
            && let Ok(id) = codec::id_from_sql(newest, "channels")
        {
            channel.last_message_id = Some(Nullable::Value(id));
        }
        channel
    }
}

/// Prepared statements kept per connection: more than the store's distinct statements, so none
/// is parsed twice (rusqlite's default of 16 is fewer than the store uses).
const STATEMENT_CACHE: usize = 256;

/// A reader connection out of the pool; goes back on drop, even if the read panicked.
struct Pooled<'a> {
    conn: Option<Connection>,
    pool: &'a Mutex<Vec<Connection>>,
}

impl<'a> Pooled<'a> {
    fn take(pool: &'a Mutex<Vec<Connection>>) -> StoreResult<Self> {
        let conn = lock(pool).pop().ok_or_else(|| StoreError::Backend("reader pool empty despite a permit".into()))?;
        Ok(Self { conn: Some(conn), pool })
    }

    fn get(&self) -> StoreResult<&Connection> {
        self.conn.as_ref().ok_or_else(|| StoreError::Backend("reader connection already returned".into()))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            lock(self.pool).push(conn);
        }
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(backend)?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Backend(
            format!("database schema version {current} is newer than this guildhall ({})", MIGRATIONS.len()).into(),
        ));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive).map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.pragma_update(None, "user_version", index + 1).map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!(version = index + 1, "applied store migration");
    }
    Ok(())
}
