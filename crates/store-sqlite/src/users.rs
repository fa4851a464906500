//! Users and applications.

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::id::marker::{ApplicationMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_store::{ApplicationRecord, ApplicationStore, StoreError, StoreResult, UserRecord, UserStore};
use rusqlite::{params, params_from_iter};

use crate::codec::CachedExec;
use crate::codec::{from_json, placeholders, row, rows, sql_id, to_json};
use crate::{SqliteStore, backend, map_err};

type UserRow = (String, Option<String>, Option<String>);

fn decode_user(row: UserRow) -> StoreResult<UserRecord> {
    let (data, email, password_hash) = row;
    Ok(UserRecord { user: from_json::<User>(&data, "users")?, email, password_hash })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, record: &UserRecord) -> StoreResult<()> {
        let data = to_json(&record.user, "users")?;
        let r = record.clone();
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO users (id, username, email, password_hash, data) VALUES (?, ?, ?, ?, ?)",
                params![sql_id(r.user.id), r.user.username, r.email, r.password_hash, data],
            )
            .map_err(map_err("user"))?;
            Ok(())
        })
        .await
    }

    async fn user(&self, id: Id<UserMarker>) -> StoreResult<Option<UserRecord>> {
        self.cached(
            |c| &c.user,
            sql_id(id),
            move |conn| {
                let row: Option<UserRow> =
                    row(conn, "SELECT data, email, password_hash FROM users WHERE id = ?", [sql_id(id)], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?;
                row.map(decode_user).transpose()
            },
        )
        .await
    }

    async fn users(&self, ids: &[Id<UserMarker>]) -> StoreResult<Vec<UserRecord>> {
        // Served from the user cache where possible (a rendered message needs its author and
        // mentions); the rest in one query.
        let read_in = self.inner_generation();
        let slot = &self.caches().user;
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        let mut out = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for raw in ids.iter().map(|i| sql_id(*i)) {
            if !seen.insert(raw) {
                continue;
            }
            match slot.get(read_in, &raw) {
                Some(Some(user)) => out.push(user),
                Some(None) => {}
                None => missing.push(raw),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let found = self
            .read(move |conn| {
                let mut found = Vec::with_capacity(missing.len());
                // Chunked to stay well below SQLite's bound-parameter limit.
                for chunk in missing.chunks(500) {
                    let sql = format!(
                        "SELECT data, email, password_hash FROM users WHERE id IN ({})",
                        placeholders(chunk.len())
                    );
                    let rows = rows(conn, &sql, params_from_iter(chunk), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                    for row in rows {
                        found.push(decode_user(row)?);
                    }
                }
                Ok(found)
            })
            .await?;
        let now = self.inner_generation();
        for user in &found {
            slot.put(read_in, now, sql_id(user.user.id), Some(user.clone()));
        }
        out.extend(found);
        Ok(out)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let email = email.to_owned();
        self.read(move |conn| {
            let row: Option<UserRow> =
                row(conn, "SELECT data, email, password_hash FROM users WHERE email = ?", [email], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            row.map(decode_user).transpose()
        })
        .await
    }

    async fn users_by_username(&self, username: &str) -> StoreResult<Vec<UserRecord>> {
        let username = username.to_owned();
        self.read(move |conn| {
            let found: Vec<UserRow> = rows(
                conn,
                "SELECT data, email, password_hash FROM users WHERE username = ? COLLATE NOCASE ORDER BY id",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            found.into_iter().map(decode_user).collect()
        })
        .await
    }

    async fn update_user(&self, record: &UserRecord) -> StoreResult<()> {
        let data = to_json(&record.user, "users")?;
        let r = record.clone();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET username = ?, email = ?, password_hash = ?, data = ? WHERE id = ?",
                    params![r.user.username, r.email, r.password_hash, data, sql_id(r.user.id)],
                )
                .map_err(map_err("user"))?;
            if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
        })
        .await
    }

    async fn set_token_hash(&self, id: Id<UserMarker>, hash: [u8; 32]) -> StoreResult<()> {
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE users SET token_hash = ? WHERE id = ?", params![hash.as_slice(), sql_id(id)])
                .map_err(backend)?;
            if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
        })
        .await
    }

    async fn token_hash(&self, id: Id<UserMarker>) -> StoreResult<Option<[u8; 32]>> {
        self.cached(
            |c| &c.token_hash,
            sql_id(id),
            move |conn| {
                let raw: Option<Option<Vec<u8>>> =
                    row(conn, "SELECT token_hash FROM users WHERE id = ?", [sql_id(id)], |r| r.get(0))?;
                match raw.flatten() {
                    None => Ok(None),
                    Some(bytes) => bytes
                        .try_into()
                        .map(Some)
                        .map_err(|_| crate::codec::corrupt("users", "token hash is not 32 bytes")),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl ApplicationStore for SqliteStore {
    async fn create_application(&self, record: &ApplicationRecord) -> StoreResult<()> {
        let data = to_json(record, "applications")?;
        let (id, bot) = (sql_id(record.id), record.bot_user_id.map(sql_id));
        self.write(move |tx| {
            tx.exec("INSERT INTO applications (id, bot_user_id, data) VALUES (?, ?, ?)", params![id, bot, data])
                .map_err(map_err("application"))?;
            Ok(())
        })
        .await
    }

    async fn application(&self, id: Id<ApplicationMarker>) -> StoreResult<Option<ApplicationRecord>> {
        self.read(move |conn| {
            let data: Option<String> =
                row(conn, "SELECT data FROM applications WHERE id = ?", [sql_id(id)], |r| r.get(0))?;
            data.map(|d| from_json(&d, "applications")).transpose()
        })
        .await
    }

    async fn application_for_bot(&self, user: Id<UserMarker>) -> StoreResult<Option<ApplicationRecord>> {
        self.cached(
            |c| &c.bot_application,
            sql_id(user),
            move |conn| {
                let data: Option<String> =
                    row(conn, "SELECT data FROM applications WHERE bot_user_id = ?", [sql_id(user)], |r| r.get(0))?;
                data.map(|d| from_json(&d, "applications")).transpose()
            },
        )
        .await
    }

    async fn update_application(&self, record: &ApplicationRecord) -> StoreResult<()> {
        let data = to_json(record, "applications")?;
        let (id, bot) = (sql_id(record.id), record.bot_user_id.map(sql_id));
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE applications SET bot_user_id = ?, data = ? WHERE id = ?", params![bot, data, id])
                .map_err(map_err("application"))?;
            if n == 0 { Err(StoreError::NotFound("application")) } else { Ok(()) }
        })
        .await
    }
}
