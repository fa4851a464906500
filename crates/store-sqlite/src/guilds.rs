//! Guilds, channels and roles.

use async_trait::async_trait;
use guildhall_model::channel::Channel;
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, RoleMarker, UserMarker};
use guildhall_model::{Id, Nullable};
use guildhall_store::{ChannelStore, GuildStore, RoleStore, StoreError, StoreResult};
use rusqlite::{Connection, params};

use crate::codec::CachedExec;
use crate::codec::{from_json, id_from_sql, row, rows, sql_id, to_json};
use crate::{SqliteStore, backend, map_err};

/// The guild row keeps only the guild's own settings (roles and emojis are other aggregates).
fn guild_json(guild: &Guild) -> StoreResult<String> {
    let mut g = guild.clone();
    g.roles.clear();
    g.emojis.clear();
    to_json(&g, "guilds")
}

fn channel_json(channel: &Channel) -> StoreResult<String> {
    to_json(channel, "channels")
}

/// `last_message_id` is a column advanced by message inserts; once set it overrides whatever
/// the JSON carried (the key's presence, e.g. `null` for an empty text channel, is the caller's).
fn decode_channel(data: &str, last_message_id: Option<i64>) -> StoreResult<Channel> {
    let mut c: Channel = from_json(data, "channels")?;
    if let Some(raw) = last_message_id {
        c.last_message_id = Some(Nullable::Value(id_from_sql(raw, "channels")?));
    }
    Ok(c)
}

fn read_channel(conn: &Connection, id: i64) -> StoreResult<Option<Channel>> {
    let row: Option<(String, Option<i64>)> =
        row(conn, "SELECT data, last_message_id FROM channels WHERE id = ?", [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    row.map(|(d, l)| decode_channel(&d, l)).transpose()
}

#[async_trait]
impl GuildStore for SqliteStore {
    async fn create_guild(&self, guild: &Guild) -> StoreResult<()> {
        let data = guild_json(guild)?;
        let (id, owner) = (sql_id(guild.id), sql_id(guild.owner_id));
        self.write(move |tx| {
            tx.exec("INSERT INTO guilds (id, owner_id, data) VALUES (?, ?, ?)", params![id, owner, data])
                .map_err(map_err("guild"))?;
            Ok(())
        })
        .await
    }

    async fn guild(&self, id: Id<GuildMarker>) -> StoreResult<Option<Guild>> {
        self.cached(
            |c| &c.guild,
            sql_id(id),
            move |conn| {
                let data: Option<String> =
                    row(conn, "SELECT data FROM guilds WHERE id = ?", [sql_id(id)], |r| r.get(0))?;
                data.map(|d| from_json(&d, "guilds")).transpose()
            },
        )
        .await
    }

    async fn guild_ids_for_user(&self, user: Id<UserMarker>) -> StoreResult<Vec<Id<GuildMarker>>> {
        self.read(move |conn| {
            let raw =
                rows(conn, "SELECT guild_id FROM members WHERE user_id = ? ORDER BY guild_id", [sql_id(user)], |r| {
                    r.get::<_, i64>(0)
                })?;
            raw.into_iter().map(|r| id_from_sql(r, "members")).collect()
        })
        .await
    }

    async fn update_guild(&self, guild: &Guild) -> StoreResult<()> {
        let data = guild_json(guild)?;
        let (id, owner) = (sql_id(guild.id), sql_id(guild.owner_id));
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE guilds SET owner_id = ?, data = ? WHERE id = ?", params![owner, data, id])
                .map_err(map_err("guild"))?;
            if n == 0 { Err(StoreError::NotFound("guild")) } else { Ok(()) }
        })
        .await
    }

    async fn delete_guild(&self, id: Id<GuildMarker>) -> StoreResult<bool> {
        // Foreign keys cascade to channels (and their messages, pins, reactions, invites),
        // roles, members (and member roles) and bans.
        self.write(move |tx| Ok(tx.exec("DELETE FROM guilds WHERE id = ?", [sql_id(id)]).map_err(backend)? > 0)).await
    }
}

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn create_channel(&self, channel: &Channel) -> StoreResult<()> {
        let data = channel_json(channel)?;
        let (id, guild, position) = (sql_id(channel.id), channel.guild_id.map(sql_id), channel.position.unwrap_or(0));
        let recipients: Vec<i64> =
            channel.recipients.as_deref().unwrap_or_default().iter().map(|u| sql_id(u.id)).collect();
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO channels (id, guild_id, position, data) VALUES (?, ?, ?, ?)",
                params![id, guild, position, data],
            )
            .map_err(map_err("channel"))?;
            for user in recipients {
                tx.exec("INSERT OR IGNORE INTO dm_recipients (channel_id, user_id) VALUES (?, ?)", params![id, user])
                    .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn channel(&self, id: Id<ChannelMarker>) -> StoreResult<Option<Channel>> {
        let channel = self.cached(|c| &c.channel, sql_id(id), move |conn| read_channel(conn, sql_id(id))).await?;
        Ok(channel.map(|c| self.caches().with_last_message(c)))
    }

    async fn guild_channels(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<Channel>> {
        let channels = self
            .cached(
                |c| &c.guild_channels,
                sql_id(guild),
                move |conn| {
                    let rows = rows(
                        conn,
                        "SELECT data, last_message_id FROM channels WHERE guild_id = ? ORDER BY position, id",
                        [sql_id(guild)],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
                    )?;
                    rows.iter().map(|(d, l)| decode_channel(d, *l)).collect()
                },
            )
            .await?;
        Ok(channels.into_iter().map(|c| self.caches().with_last_message(c)).collect())
    }

    async fn dm_channel(&self, a: Id<UserMarker>, b: Id<UserMarker>) -> StoreResult<Option<Channel>> {
        self.read(move |conn| {
            // A 1:1 DM has exactly these two recipients (a self-DM has one row).
            let id: Option<i64> = row(
                conn,
                "SELECT r1.channel_id FROM dm_recipients r1
                     JOIN dm_recipients r2 ON r2.channel_id = r1.channel_id AND r2.user_id = ?2
                     WHERE r1.user_id = ?1
                       AND (SELECT count(*) FROM dm_recipients r3 WHERE r3.channel_id = r1.channel_id)
                           = CASE WHEN ?1 = ?2 THEN 1 ELSE 2 END
                     LIMIT 1",
                params![sql_id(a), sql_id(b)],
                |r| r.get(0),
            )?;
            match id {
                Some(id) => read_channel(conn, id),
                None => Ok(None),
            }
        })
        .await
    }

    async fn update_channel(&self, channel: &Channel) -> StoreResult<()> {
        let data = channel_json(channel)?;
        let (id, position) = (sql_id(channel.id), channel.position.unwrap_or(0));
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE channels SET position = ?, data = ? WHERE id = ?", params![position, data, id])
                .map_err(map_err("channel"))?;
            if n == 0 { Err(StoreError::NotFound("channel")) } else { Ok(()) }
        })
        .await
    }

    async fn delete_channel(&self, id: Id<ChannelMarker>) -> StoreResult<bool> {
        self.write(move |tx| Ok(tx.exec("DELETE FROM channels WHERE id = ?", [sql_id(id)]).map_err(backend)? > 0)).await
    }
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn create_role(&self, guild: Id<GuildMarker>, role: &Role) -> StoreResult<()> {
        let data = to_json(role, "roles")?;
        let (id, position) = (sql_id(role.id), role.position);
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO roles (id, guild_id, position, data) VALUES (?, ?, ?, ?)",
                params![id, sql_id(guild), position, data],
            )
            .map_err(map_err("role"))?;
            Ok(())
        })
        .await
    }

    async fn role(&self, guild: Id<GuildMarker>, id: Id<RoleMarker>) -> StoreResult<Option<Role>> {
        self.read(move |conn| {
            let data: Option<String> =
                row(conn, "SELECT data FROM roles WHERE id = ? AND guild_id = ?", [sql_id(id), sql_id(guild)], |r| {
                    r.get(0)
                })?;
            data.map(|d| from_json(&d, "roles")).transpose()
        })
        .await
    }

    async fn guild_roles(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<Role>> {
        self.cached(
            |c| &c.roles,
            sql_id(guild),
            move |conn| {
                let rows = rows(
                    conn,
                    "SELECT data FROM roles WHERE guild_id = ? ORDER BY position, id",
                    [sql_id(guild)],
                    |r| r.get::<_, String>(0),
                )?;
                rows.iter().map(|d| from_json(d, "roles")).collect()
            },
        )
        .await
    }

    async fn update_role(&self, guild: Id<GuildMarker>, role: &Role) -> StoreResult<()> {
        let data = to_json(role, "roles")?;
        let (id, position) = (sql_id(role.id), role.position);
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE roles SET position = ?, data = ? WHERE id = ? AND guild_id = ?",
                    params![position, data, id, sql_id(guild)],
                )
                .map_err(backend)?;
            if n == 0 { Err(StoreError::NotFound("role")) } else { Ok(()) }
        })
        .await
    }

    async fn set_role_positions(&self, guild: Id<GuildMarker>, positions: &[(Id<RoleMarker>, i32)]) -> StoreResult<()> {
        let positions: Vec<(i64, i32)> = positions.iter().map(|(id, p)| (sql_id(*id), *p)).collect();
        self.write(move |tx| {
            for (id, position) in positions {
                let data: Option<String> =
                    row(tx, "SELECT data FROM roles WHERE id = ? AND guild_id = ?", [id, sql_id(guild)], |r| r.get(0))?;
                let Some(data) = data else {
                    return Err(StoreError::NotFound("role"));
                };
                let mut role: Role = from_json(&data, "roles")?;
                role.position = position;
                tx.exec(
                    "UPDATE roles SET position = ?, data = ? WHERE id = ?",
                    params![position, to_json(&role, "roles")?, id],
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_role(&self, guild: Id<GuildMarker>, id: Id<RoleMarker>) -> StoreResult<bool> {
        // member_roles rows go with the role through the foreign key.
        self.write(move |tx| {
            Ok(tx
                .execute("DELETE FROM roles WHERE id = ? AND guild_id = ?", [sql_id(id), sql_id(guild)])
                .map_err(backend)?
                > 0)
        })
        .await
    }
}
