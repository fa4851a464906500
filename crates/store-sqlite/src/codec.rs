//! Conversions between typed values and SQLite columns.

use guildhall_model::{Id, Timestamp};
use guildhall_store::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Snowflakes are stored as SQLite's signed 64-bit integers. The bit pattern is kept as is, so
/// the round trip is exact; ordering is exact for every id below 2^63 (until the year 2084).
pub(crate) const fn sql_id<T>(id: Id<T>) -> i64 {
    id.get() as i64
}

pub(crate) fn id_from_sql<T>(raw: i64, table: &'static str) -> StoreResult<Id<T>> {
    Id::new_checked(raw as u64).ok_or_else(|| corrupt(table, "zero id"))
}

pub(crate) fn opt_id_from_sql<T>(raw: Option<i64>, table: &'static str) -> StoreResult<Option<Id<T>>> {
    raw.map(|r| id_from_sql(r, table)).transpose()
}

pub(crate) const fn sql_time(t: Timestamp) -> i64 {
    t.as_micros()
}

pub(crate) fn to_json<T: Serialize>(value: &T, table: &'static str) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt { table, source: Box::new(e) })
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, table: &'static str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt { table, source: Box::new(e) })
}

pub(crate) fn corrupt(table: &'static str, what: &'static str) -> StoreError {
    StoreError::Corrupt { table, source: what.into() }
}

/// `?, ?, ?` for an IN list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// Escapes `%`, `_` and `\` so user input matches literally in `LIKE … ESCAPE '\'`.
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Runs a (cached) query and collects every row through `map`.
pub(crate) fn rows<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(crate::backend)?;
    let rows = stmt.query_map(params, map).map_err(crate::backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(crate::backend)
}

/// Runs a query that yields at most one row.
pub(crate) fn row<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Option<T>> {
    use rusqlite::OptionalExtension as _;
    let mut stmt = conn.prepare_cached(sql).map_err(crate::backend)?;
    stmt.query_row(params, map).optional().map_err(crate::backend)
}

/// `execute` through the connection's statement cache: writes run the same few statements over
/// and over, and parsing them each time showed up in profiles.
pub(crate) trait CachedExec {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize>;
}

impl CachedExec for rusqlite::Connection {
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}
