//! Reactions. Rows are kept per (message, emoji, kind, user); the rowid (`seq`) remembers the
//! order in which emojis were first used, which is the order Discord lists them in.

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, UserMarker};
use guildhall_model::message::ReactionType;
use guildhall_store::{ReactionEmoji, ReactionStore, ReactionSummary, StoreResult};
use rusqlite::{params, params_from_iter};

use crate::codec::CachedExec;
use crate::codec::{id_from_sql, opt_id_from_sql, placeholders, rows, sql_id};
use crate::{SqliteStore, backend};

fn kind_code(kind: ReactionType) -> i64 {
    i64::from(kind.value())
}

#[async_trait]
impl ReactionStore for SqliteStore {
    async fn add_reaction(
        &self,
        channel: Id<ChannelMarker>,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        user: Id<UserMarker>,
        kind: ReactionType,
    ) -> StoreResult<bool> {
        let emoji = emoji.clone();
        self.write_messages(move |tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO reactions
                     (channel_id, message_id, emoji_key, emoji_id, emoji_name, animated, user_id, kind)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    params![
                        sql_id(channel),
                        sql_id(message),
                        emoji.key(),
                        emoji.id.map(sql_id),
                        emoji.name,
                        emoji.animated,
                        sql_id(user),
                        kind_code(kind)
                    ],
                )
                .map_err(crate::map_err("channel"))?;
            Ok(n > 0)
        })
        .await
    }

    async fn reactions(
        &self,
        messages: &[Id<MessageMarker>],
        viewer: Option<Id<UserMarker>>,
    ) -> StoreResult<Vec<ReactionSummary>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = messages.iter().map(|m| sql_id(*m)).collect();
        let viewer = viewer.map_or(0, sql_id);
        self.read(move |conn| {
            let mut out = Vec::new();
            for chunk in ids.chunks(500) {
                let sql = format!(
                    "SELECT message_id, max(emoji_id), max(emoji_name), max(animated),
                            sum(kind = 0), sum(kind = 1),
                            max(kind = 0 AND user_id = ?1), max(kind = 1 AND user_id = ?1), min(seq) AS first
                     FROM reactions WHERE message_id IN ({})
                     GROUP BY message_id, emoji_key ORDER BY message_id, first",
                    placeholders(chunk.len())
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
                let args = std::iter::once(viewer).chain(chunk.iter().copied());
                let rows = stmt
                    .query_map(params_from_iter(args), |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<i64>>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, u32>(4)?,
                            r.get::<_, u32>(5)?,
                            r.get::<_, bool>(6)?,
                            r.get::<_, bool>(7)?,
                        ))
                    })
                    .map_err(backend)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(backend)?;
                for (message, emoji_id, name, animated, normal, burst, me, me_burst) in rows {
                    out.push(ReactionSummary {
                        message_id: id_from_sql(message, "reactions")?,
                        emoji: ReactionEmoji { id: opt_id_from_sql(emoji_id, "reactions")?, name, animated },
                        normal,
                        burst,
                        me,
                        me_burst,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn reaction_users(
        &self,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        kind: ReactionType,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<Id<UserMarker>>> {
        let key = emoji.key();
        let after = after.map_or(0, sql_id);
        self.read(move |conn| {
            let rows = rows(
                conn,
                "SELECT user_id FROM reactions WHERE message_id = ? AND emoji_key = ? AND kind = ? AND user_id > ?
                     ORDER BY user_id LIMIT ?",
                params![sql_id(message), key, kind_code(kind), after, limit],
                |r| r.get::<_, i64>(0),
            )?;
            rows.into_iter().map(|u| id_from_sql(u, "reactions")).collect()
        })
        .await
    }

    async fn reaction_emoji_count(&self, message: Id<MessageMarker>) -> StoreResult<u32> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT count(DISTINCT emoji_key) FROM reactions WHERE message_id = ?",
                [sql_id(message)],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn remove_reaction(
        &self,
        message: Id<MessageMarker>,
        emoji: &ReactionEmoji,
        user: Id<UserMarker>,
        kind: ReactionType,
    ) -> StoreResult<bool> {
        let key = emoji.key();
        self.write_messages(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM reactions WHERE message_id = ? AND emoji_key = ? AND user_id = ? AND kind = ?",
                    params![sql_id(message), key, sql_id(user), kind_code(kind)],
                )
                .map_err(backend)?;
            Ok(n > 0)
        })
        .await
    }

    async fn remove_emoji_reactions(&self, message: Id<MessageMarker>, emoji: &ReactionEmoji) -> StoreResult<u64> {
        let key = emoji.key();
        self.write_messages(move |tx| {
            let n = tx
                .execute("DELETE FROM reactions WHERE message_id = ? AND emoji_key = ?", params![sql_id(message), key])
                .map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    async fn remove_all_reactions(&self, message: Id<MessageMarker>) -> StoreResult<u64> {
        self.write_messages(move |tx| {
            let n = tx.exec("DELETE FROM reactions WHERE message_id = ?", [sql_id(message)]).map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }
}
