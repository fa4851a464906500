//! Webhooks.

use async_trait::async_trait;
use guildhall_model::Id;
use guildhall_model::id::marker::{ChannelMarker, GuildMarker, WebhookMarker};
use guildhall_store::{StoreResult, WebhookRecord, WebhookStore};
use rusqlite::params;

use crate::codec::CachedExec;
use crate::codec::{from_json, row, rows, sql_id, to_json};
use crate::{SqliteStore, backend, map_err};

fn decode(rows: Vec<String>) -> StoreResult<Vec<WebhookRecord>> {
    rows.iter().map(|data| from_json(data, "webhooks")).collect()
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, webhook: &WebhookRecord) -> StoreResult<()> {
        let data = to_json(webhook, "webhooks")?;
        let (id, channel, guild) = (sql_id(webhook.id), sql_id(webhook.channel_id), webhook.guild_id.map(sql_id));
        self.write(move |tx| {
            tx.exec(
                "INSERT INTO webhooks (id, channel_id, guild_id, data) VALUES (?, ?, ?, ?)",
                params![id, channel, guild, data],
            )
            .map_err(map_err("webhook"))?;
            Ok(())
        })
        .await
    }

    async fn webhook(&self, id: Id<WebhookMarker>) -> StoreResult<Option<WebhookRecord>> {
        self.read(move |conn| {
            let data: Option<String> = row(conn, "SELECT data FROM webhooks WHERE id = ?", [sql_id(id)], |r| r.get(0))?;
            data.map(|d| from_json(&d, "webhooks")).transpose()
        })
        .await
    }

    async fn channel_webhooks(&self, channel: Id<ChannelMarker>) -> StoreResult<Vec<WebhookRecord>> {
        self.read(move |conn| {
            decode(rows(conn, "SELECT data FROM webhooks WHERE channel_id = ? ORDER BY id", [sql_id(channel)], |r| {
                r.get(0)
            })?)
        })
        .await
    }

    async fn guild_webhooks(&self, guild: Id<GuildMarker>) -> StoreResult<Vec<WebhookRecord>> {
        self.read(move |conn| {
            decode(rows(conn, "SELECT data FROM webhooks WHERE guild_id = ? ORDER BY id", [sql_id(guild)], |r| {
                r.get(0)
            })?)
        })
        .await
    }

    async fn update_webhook(&self, webhook: &WebhookRecord) -> StoreResult<()> {
        let data = to_json(webhook, "webhooks")?;
        let (id, channel) = (sql_id(webhook.id), sql_id(webhook.channel_id));
        self.write(move |tx| {
            let n = tx
                .execute("UPDATE webhooks SET channel_id = ?, data = ? WHERE id = ?", params![channel, data, id])
                .map_err(map_err("webhook"))?;
            if n == 0 { Err(guildhall_store::StoreError::NotFound("webhook")) } else { Ok(()) }
        })
        .await
    }

    async fn delete_webhook(&self, id: Id<WebhookMarker>) -> StoreResult<bool> {
        self.write(move |tx| Ok(tx.exec("DELETE FROM webhooks WHERE id = ?", [sql_id(id)]).map_err(backend)? > 0)).await
    }
}
