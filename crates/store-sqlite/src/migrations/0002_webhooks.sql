-- guildhall schema v2: webhooks, and username lookups for login.

CREATE INDEX users_by_username ON users(username COLLATE NOCASE);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    guild_id   INTEGER REFERENCES guilds(id) ON DELETE CASCADE,
    data       TEXT    NOT NULL
);
CREATE INDEX webhooks_by_channel ON webhooks(channel_id, id);
CREATE INDEX webhooks_by_guild ON webhooks(guild_id, id);
