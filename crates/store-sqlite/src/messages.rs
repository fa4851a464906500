//! Messages and pins.
//!
//! Messages are keyed `(channel_id, bucket, id)`. Because a bucket is a function of the id,
//! ordering by `(bucket, id)` is ordering by id, and one row-value range such as
//! `(bucket, id) < (?, ?)` walks the primary key across bucket boundaries in a single index scan.

use async_trait::async_trait;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, MessageMarker, UserMarker};
use guildhall_model::{Id, Timestamp};
use guildhall_store::{
    MessageAnchor, MessageRecord, MessageStore, PinRecord, PinStore, StoreError, StoreResult, clamp_message_limit,
    message_bucket,
};
use rusqlite::{Connection, Transaction, params};

use crate::codec::CachedExec;
use crate::codec::{from_json, id_from_sql, row, rows, sql_id, sql_time, to_json};
use crate::{SqliteStore, backend, map_err};

fn key(channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> (i64, i64, i64) {
    // Buckets are small (days since 2015 / 10); the cast cannot wrap.
    (sql_id(channel), message_bucket(id) as i64, sql_id(id))
}

fn decode(data: &str, pinned: bool) -> StoreResult<MessageRecord> {
    let mut m: MessageRecord = from_json(data, "messages")?;
    m.pinned = pinned;
    Ok(m)
}

fn page(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> StoreResult<Vec<MessageRecord>> {
    let rows = rows(conn, sql, params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
    rows.iter().map(|(d, p)| decode(d, *p)).collect()
}

const OLDER_INCLUSIVE: &str = "SELECT data, pinned FROM messages WHERE channel_id = ?1 AND deleted = 0
     AND (bucket, id) <= (?2, ?3) ORDER BY bucket DESC, id DESC LIMIT ?4";
const OLDER: &str = "SELECT data, pinned FROM messages WHERE channel_id = ?1 AND deleted = 0
     AND (bucket, id) < (?2, ?3) ORDER BY bucket DESC, id DESC LIMIT ?4";
const NEWER: &str = "SELECT data, pinned FROM messages WHERE channel_id = ?1 AND deleted = 0
     AND (bucket, id) > (?2, ?3) ORDER BY bucket ASC, id ASC LIMIT ?4";
const LATEST: &str = "SELECT data, pinned FROM messages WHERE channel_id = ?1 AND deleted = 0
     ORDER BY bucket DESC, id DESC LIMIT ?2";

fn tombstone(tx: &Transaction<'_>, channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> StoreResult<bool> {
    let (c, b, i) = key(channel, id);
    // The body is dropped: a deleted message's content must not linger in the database.
    let n = tx
        .execute(
            "UPDATE messages SET deleted = 1, pinned = 0, data = '{}'
             WHERE channel_id = ? AND bucket = ? AND id = ? AND deleted = 0",
            params![c, b, i],
        )
        .map_err(backend)?;
    if n > 0 {
        tx.exec("DELETE FROM reactions WHERE message_id = ?", [i]).map_err(backend)?;
        tx.exec("DELETE FROM pins WHERE channel_id = ? AND message_id = ?", [c, i]).map_err(backend)?;
    }
    Ok(n > 0)
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn create_message(&self, message: &MessageRecord) -> StoreResult<()> {
        let data = to_json(message, "messages")?;
        let (c, b, i) = key(message.channel_id, message.id);
        let (guild, author, pinned) = (message.guild_id.map(sql_id), sql_id(message.author_id), message.pinned);
        let store = self.clone();
        self.write_messages(move |tx| {
            tx.exec(
                "INSERT INTO messages (channel_id, bucket, id, guild_id, author_id, pinned, data)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![c, b, i, guild, author, pinned, data],
            )
            .map_err(map_err("message"))?;
            tx.exec(
                "UPDATE channels SET last_message_id = max(coalesce(last_message_id, 0), ?1) WHERE id = ?2",
                params![i, c],
            )
            .map_err(backend)?;
            // Here rather than after the await: a caller that goes away must not leave the
            // cached channel behind a committed message.
            store.caches().advance_last_message(c, i);
            Ok(())
        })
        .await
    }

    async fn create_messages(&self, messages: &[MessageRecord]) -> StoreResult<()> {
        let mut rows = Vec::with_capacity(messages.len());
        for m in messages {
            let (c, b, i) = key(m.channel_id, m.id);
            rows.push((c, b, i, m.guild_id.map(sql_id), sql_id(m.author_id), m.pinned, to_json(m, "messages")?));
        }
        let store = self.clone();
        self.write_messages(move |tx| {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (channel_id, bucket, id, guild_id, author_id, pinned, data)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .map_err(backend)?;
            let mut newest = std::collections::HashMap::new();
            for (c, b, i, guild, author, pinned, data) in &rows {
                insert.execute(params![c, b, i, guild, author, pinned, data]).map_err(map_err("message"))?;
                let last = newest.entry(*c).or_insert(*i);
                *last = (*last).max(*i);
            }
            for (c, i) in newest {
                store.caches().advance_last_message(c, i);
                tx.exec(
                    "UPDATE channels SET last_message_id = max(coalesce(last_message_id, 0), ?1) WHERE id = ?2",
                    params![i, c],
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn message(&self, channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> StoreResult<Option<MessageRecord>> {
        let (c, b, i) = key(channel, id);
        self.read(move |conn| {
            let row: Option<(String, bool)> = row(
                conn,
                "SELECT data, pinned FROM messages WHERE channel_id = ? AND bucket = ? AND id = ? AND deleted = 0",
                params![c, b, i],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            row.map(|(d, p)| decode(&d, p)).transpose()
        })
        .await
    }

    async fn messages(
        &self,
        channel: Id<ChannelMarker>,
        anchor: MessageAnchor,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>> {
        let limit = clamp_message_limit(limit);
        let c = sql_id(channel);
        self.read(move |conn| match anchor {
            MessageAnchor::Latest => page(conn, LATEST, params![c, limit]),
            MessageAnchor::Before(x) => {
                let (_, b, i) = key(channel, x);
                page(conn, OLDER, params![c, b, i, limit])
            }
            MessageAnchor::After(x) => {
                let (_, b, i) = key(channel, x);
                let mut newer = page(conn, NEWER, params![c, b, i, limit])?;
                newer.reverse();
                Ok(newer)
            }
            MessageAnchor::Around(x) => {
                let (_, b, i) = key(channel, x);
                let after = limit / 2;
                let mut out = page(conn, NEWER, params![c, b, i, after])?;
                out.reverse();
                out.extend(page(conn, OLDER_INCLUSIVE, params![c, b, i, limit - after])?);
                Ok(out)
            }
        })
        .await
    }

    async fn messages_by_author(
        &self,
        guild: Id<GuildMarker>,
        author: Id<UserMarker>,
        since: Id<MessageMarker>,
    ) -> StoreResult<Vec<(Id<ChannelMarker>, Id<MessageMarker>)>> {
        self.read(move |conn| {
            let rows = rows(
                conn,
                "SELECT channel_id, id FROM messages WHERE guild_id = ? AND author_id = ? AND id >= ?
                     AND deleted = 0 ORDER BY id",
                params![sql_id(guild), sql_id(author), sql_id(since)],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?;
            rows.into_iter().map(|(c, m)| Ok((id_from_sql(c, "messages")?, id_from_sql(m, "messages")?))).collect()
        })
        .await
    }

    async fn update_message(&self, message: &MessageRecord) -> StoreResult<()> {
        let data = to_json(message, "messages")?;
        let (c, b, i) = key(message.channel_id, message.id);
        self.write_messages(move |tx| {
            let n = tx
                .execute(
                    "UPDATE messages SET data = ? WHERE channel_id = ? AND bucket = ? AND id = ? AND deleted = 0",
                    params![data, c, b, i],
                )
                .map_err(backend)?;
            if n == 0 { Err(StoreError::NotFound("message")) } else { Ok(()) }
        })
        .await
    }

    async fn delete_message(&self, channel: Id<ChannelMarker>, id: Id<MessageMarker>) -> StoreResult<bool> {
        self.write_messages(move |tx| tombstone(tx, channel, id)).await
    }

    async fn delete_messages(
        &self,
        channel: Id<ChannelMarker>,
        ids: &[Id<MessageMarker>],
    ) -> StoreResult<Vec<Id<MessageMarker>>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        self.write_messages(move |tx| {
            let mut deleted = Vec::with_capacity(ids.len());
            for id in ids {
                if tombstone(tx, channel, id)? {
                    deleted.push(id);
                }
            }
            Ok(deleted)
        })
        .await
    }
}

#[async_trait]
impl PinStore for SqliteStore {
    async fn pin(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>, at: Timestamp) -> StoreResult<bool> {
        let (c, b, i) = key(channel, message);
        self.write_messages(move |tx| {
            let live = tx
                .execute(
                    "UPDATE messages SET pinned = 1 WHERE channel_id = ? AND bucket = ? AND id = ? AND deleted = 0",
                    params![c, b, i],
                )
                .map_err(backend)?;
            if live == 0 {
                return Err(StoreError::NotFound("message"));
            }
            let added = tx
                .execute(
                    "INSERT OR IGNORE INTO pins (channel_id, message_id, pinned_at) VALUES (?, ?, ?)",
                    params![c, i, sql_time(at)],
                )
                .map_err(backend)?;
            Ok(added > 0)
        })
        .await
    }

    async fn pins(
        &self,
        channel: Id<ChannelMarker>,
        before: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<PinRecord>> {
        let before = before.map_or(i64::MAX, sql_time);
        self.read(move |conn| {
            let rows = rows(
                conn,
                "SELECT message_id, pinned_at FROM pins WHERE channel_id = ? AND pinned_at < ?
                     ORDER BY pinned_at DESC, message_id DESC LIMIT ?",
                params![sql_id(channel), before, limit],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?;
            rows.into_iter()
                .map(|(m, at)| {
                    Ok(PinRecord { message_id: id_from_sql(m, "pins")?, pinned_at: Timestamp::from_micros(at) })
                })
                .collect()
        })
        .await
    }

    async fn pin_count(&self, channel: Id<ChannelMarker>) -> StoreResult<u32> {
        self.read(move |conn| {
            let n: u32 = conn
                .query_row("SELECT count(*) FROM pins WHERE channel_id = ?", [sql_id(channel)], |r| r.get(0))
                .map_err(backend)?;
            Ok(n)
        })
        .await
    }

    async fn unpin(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>) -> StoreResult<bool> {
        let (c, b, i) = key(channel, message);
        self.write_messages(move |tx| {
            let removed =
                tx.exec("DELETE FROM pins WHERE channel_id = ? AND message_id = ?", [c, i]).map_err(backend)?;
            if removed > 0 {
                tx.exec(
                    "UPDATE messages SET pinned = 0 WHERE channel_id = ? AND bucket = ? AND id = ?",
                    params![c, b, i],
                )
                .map_err(backend)?;
            }
            Ok(removed > 0)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Rows written before messages kept components and snapshots still decode, with none.
    #[test]
    fn rows_without_components_decode() {
        let old = r#"{"id":"1311130200964943873","channel_id":"5","guild_id":null,"author_id":"7","kind":0,
            "content":"old","timestamp":"2025-01-01T00:00:00.000000+00:00","edited_timestamp":null,"tts":false,
            "mention_everyone":false,"mention_user_ids":[],"mention_role_ids":[],"embeds":[],"attachments":[],
            "nonce":null,"pinned":false,"flags":0,"message_reference":null,"webhook_id":null,
            "application_id":null,"webhook_author":null}"#;
        let m = decode(old, false).unwrap();
        assert_eq!(m.content, "old");
        assert!(m.components.is_empty() && m.message_snapshots.is_empty());
        // Plain messages are still written without the new keys.
        let written = to_json(&m, "messages").unwrap();
        assert!(!written.contains("components") && !written.contains("message_snapshots"), "{written}");
        assert_eq!(decode(&written, false).unwrap(), m);
    }
}
