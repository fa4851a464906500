//! Guild members. Role assignments live in `member_roles` so that deleting a role takes it
//! away from every member in one statement.

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use guildhall_store::{MemberRecord, MemberStore, StoreError, StoreResult};
use rusqlite::{Connection, Transaction, params};

use crate::codec::CachedExec;
use crate::codec::{from_json, id_from_sql, like_prefix, row, rows, sql_id, to_json};
use crate::{SqliteStore, backend, map_err};

const SELECT_MEMBER: &str = "SELECT m.data, (SELECT group_concat(r.role_id) FROM member_roles r
     WHERE r.guild_id = m.guild_id AND r.user_id = m.user_id) FROM members m";

fn member_json(member: &MemberRecord) -> StoreResult<String> {
    let mut m = member.clone();
    m.roles.clear();
    to_json(&m, "members")
}

fn decode(data: &str, roles: Option<&str>) -> StoreResult<MemberRecord> {
    let mut m: MemberRecord = from_json(data, "members")?;
    m.roles = roles
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let raw: i64 = s.parse().map_err(|_| crate::codec::corrupt("member_roles", "role id"))?;
            id_from_sql(raw, "member_roles")
        })
        .collect::<StoreResult<_>>()?;
    m.roles.sort();
    Ok(m)
}

fn query_members(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> StoreResult<Vec<MemberRecord>> {
    let rows = rows(conn, sql, params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
    rows.iter().map(|(d, r)| decode(d, r.as_deref())).collect()
}

fn write_roles(tx: &Transaction<'_>, member: &MemberRecord) -> StoreResult<()> {
    let (guild, user) = (sql_id(member.guild_id), sql_id(member.user_id));
    tx.exec("DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", params![guild, user]).map_err(backend)?;
    for role in &member.roles {
        tx.exec(
            "INSERT OR IGNORE INTO member_roles (guild_id, user_id, role_id) VALUES (?, ?, ?)",
            params![guild, user, sql_id(*role)],
        )
        .map_err(map_err("role"))?;
    }
    Ok(())
}

#[async_trait]
impl MemberStore for SqliteStore {
    async fn add_member(&self, member: &MemberRecord) -> StoreResult<()> {
        let data = member_json(member)?;
        let m = member.clone();
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO members (guild_id, user_id, nick, data) VALUES (?, ?, ?, ?)",
                params![sql_id(m.guild_id), sql_id(m.user_id), m.nick, data],
            )
            .map_err(map_err("member"))?;
            write_roles(tx, &m)
        })
        .await
    }

    async fn member(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<Option<MemberRecord>> {
        self.cached(
            |c| &c.member,
            (sql_id(guild), sql_id(user)),
            move |conn| {
                let sql = format!("{SELECT_MEMBER} WHERE m.guild_id = ? AND m.user_id = ?");
                let row: Option<(String, Option<String>)> =
                    row(conn, &sql, [sql_id(guild), sql_id(user)], |r| Ok((r.get(0)?, r.get(1)?)))?;
                row.map(|(d, r)| decode(&d, r.as_deref())).transpose()
            },
        )
        .await
    }

    async fn members(
        &self,
        guild: Id<GuildMarker>,
        after: Option<Id<UserMarker>>,
        limit: u32,
    ) -> StoreResult<Vec<MemberRecord>> {
        let after = after.map_or(0, sql_id);
        self.read(move |conn| {
            let sql = format!("{SELECT_MEMBER} WHERE m.guild_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?");
            query_members(conn, &sql, params![sql_id(guild), after, limit])
        })
        .await
    }

    async fn search_members(&self, guild: Id<GuildMarker>, prefix: &str, limit: u32) -> StoreResult<Vec<MemberRecord>> {
        let pattern = like_prefix(prefix);
        self.read(move |conn| {
            let sql = format!(
                "{SELECT_MEMBER} JOIN users u ON u.id = m.user_id WHERE m.guild_id = ?1
                 AND (u.username LIKE ?2 ESCAPE '\\' OR m.nick LIKE ?2 ESCAPE '\\') ORDER BY m.user_id LIMIT ?3"
            );
            query_members(conn, &sql, params![sql_id(guild), pattern, limit])
        })
        .await
    }

    async fn member_count(&self, guild: Id<GuildMarker>) -> StoreResult<u64> {
        // Every IDENTIFY's GUILD_CREATE asks; counting is O(members) each time.
        self.cached(
            |c| &c.member_count,
            sql_id(guild),
            move |conn| {
                let n: i64 = conn
                    .query_row("SELECT count(*) FROM members WHERE guild_id = ?", [sql_id(guild)], |r| r.get(0))
                    .map_err(backend)?;
                Ok(n.unsigned_abs())
            },
        )
        .await
    }

    async fn update_member(&self, member: &MemberRecord) -> StoreResult<()> {
        let data = member_json(member)?;
        let m = member.clone();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE members SET nick = ?, data = ? WHERE guild_id = ? AND user_id = ?",
                    params![m.nick, data, sql_id(m.guild_id), sql_id(m.user_id)],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound("member"));
            }
            write_roles(tx, &m)
        })
        .await
    }

    async fn remove_member(&self, guild: Id<GuildMarker>, user: Id<UserMarker>) -> StoreResult<bool> {
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM members WHERE guild_id = ? AND user_id = ?", [sql_id(guild), sql_id(user)])
                .map_err(backend)?
                > 0)
        })
        .await
    }
}
