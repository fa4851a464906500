//! Invites and bans.

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, UserMarker};
use guildhall_store::{BanRecord, BanStore, InviteRecord, InviteStore, StoreResult};
use rusqlite::params;

use crate::codec::CachedExec;
use crate::codec::{from_json, id_from_sql, row, rows, sql_id, sql_time, to_json};
use crate::{SqliteStore, backend, map_err};

fn decode_invite(data: &str, uses: u32) -> StoreResult<InviteRecord> {
    let mut invite: InviteRecord = from_json(data, "invites")?;
    // `uses` is a column so that counting a use is one atomic UPDATE.
    invite.uses = uses;
    Ok(invite)
}

fn invites_where(conn: &rusqlite::Connection, filter: &str, id: i64) -> StoreResult<Vec<InviteRecord>> {
    let sql = format!("SELECT data, uses FROM invites WHERE {filter} = ? ORDER BY created_at, code");
    let rows = rows(conn, &sql, [id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    rows.iter().map(|(d, u)| decode_invite(d, *u)).collect()
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn create_invite(&self, invite: &InviteRecord) -> StoreResult<()> {
        let data = to_json(invite, "invites")?;
        let i = invite.clone();
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO invites (code, guild_id, channel_id, uses, max_uses, created_at, data)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    i.code,
                    sql_id(i.guild_id),
                    sql_id(i.channel_id),
                    i.uses,
                    i.max_uses,
                    sql_time(i.created_at),
                    data
                ],
            )
            .map_err(map_err("invite"))?;
            Ok(())
        })
        .await
    }

    async fn invite(&self, code: &str) -> StoreResult<Option<InviteRecord>> {
        let code = code.to_owned();
        self.read(move |conn| {
            let row: Option<(String, u32)> =
                row(conn, "SELECT data, uses FROM invites WHERE code = ?", [code], |r| Ok((r.get(0)?, r.get(1)?)))?;
            row.map(|(d, u)| decode_invite(&d, u)).transpose()
        })
        .await
    }

    async fn channel_invites(&self, channel: Id<ChannelMarker>) -> StoreResult<Vec<InviteRecord>> {
        self.read(move |conn| invites_where(conn, "channel_id", sql_id(channel))).await
    }

    async fn guild_invites(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<InviteRecord>> {
        self.read(move |conn| invites_where(conn, "guild_id", sql_id(guild))).await
    }

    async fn use_invite(&self, code: &str) -> StoreResult<Option<InviteRecord>> {
        let code = code.to_owned();
        self.write(move |tx| {
            let row: Option<(String, u32)> = row(
                tx,
                "UPDATE invites SET uses = uses + 1 WHERE code = ? AND (max_uses = 0 OR uses < max_uses)
                     RETURNING data, uses",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            row.map(|(d, u)| decode_invite(&d, u)).transpose()
        })
        .await
    }

    async fn delete_invite(&self, code: &str) -> StoreResult<Option<InviteRecord>> {
        let code = code.to_owned();
        self.write(move |tx| {
            let row: Option<(String, u32)> =
                row(tx, "DELETE FROM invites WHERE code = ? RETURNING data, uses", [code], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            row.map(|(d, u)| decode_invite(&d, u)).transpose()
        })
        .await
    }
}

#[async_trait]
impl BanStore for SqliteStore {
    async fn create_ban(&self, ban: &BanRecord) -> StoreResult<()> {
        let b = ban.clone();
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO bans (guild_id, user_id, reason) VALUES (?, ?, ?)
                 ON CONFLICT (guild_id, user_id) DO UPDATE SET reason = excluded.reason",
                params![sql_id(b.guild_id), sql_id(b.user_id), b.reason],
            )
            .map_err(map_err("guild"))?;
            Ok(())
        })
        .await
    }

    async fn ban(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<Option<BanRecord>> {
        self.read(move |conn| {
            let reason: Option<Option<String>> = row(
                conn,
                "SELECT reason FROM bans WHERE guild_id = ? AND user_id = ?",
                [sql_id(guild), sql_id(user)],
                |r| r.get(0),
            )?;
            Ok(reason.map(|reason| BanRecord { guild_id: guild, user_id: user, reason }))
        })
        .await
    }

    async fn bans(
        &self,
        guild: Id<GuildMarker>,
        before: Option<Id<UserMarker>>,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<BanRecord>> {
        self.read(move |conn| {
            let (sql, bound) = match (before, after) {
                // `before` wins, and the page is the bans closest below it.
                (Some(b), _) => (
                    "SELECT user_id, reason FROM bans WHERE guild_id = ? AND user_id < ? ORDER BY user_id DESC LIMIT ?",
                    sql_id(b),
                ),
                (None, a) => (
                    "SELECT user_id, reason FROM bans WHERE guild_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
                    a.map_or(0, sql_id),
                ),
            };
            let rows = rows(conn, sql, params![sql_id(guild), bound, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            let mut out = rows
                .into_iter()
                .map(|(u, reason)| Ok(BanRecord { guild_id: guild, user_id: id_from_sql(u, "bans")?, reason }))
                .collect::<StoreResult<Vec<_>>>()?;
            if before.is_some() {
                out.reverse();
            }
            Ok(out)
        })
        .await
    }

    async fn delete_ban(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<bool> {
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM bans WHERE guild_id = ? AND user_id = ?", [sql_id(guild), sql_id(user)])
                .map_err(backend)?
                > 0)
        })
        .await
    }
}
