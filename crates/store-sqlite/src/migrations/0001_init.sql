-- guildhall schema v1. Ids are snowflakes stored as INTEGER (SQLite integers are signed 64-bit;
-- snowflakes below 2^63 fit, which covers every id until the year 2084).
-- Objects keep their wire fields as JSON in `data`; keys, foreign keys and what queries filter
-- or sort on are real columns.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    email         TEXT    UNIQUE COLLATE NOCASE,
    password_hash TEXT,
    token_hash    BLOB,
    data          TEXT    NOT NULL
);

CREATE TABLE applications (
    id          INTEGER PRIMARY KEY,
    bot_user_id INTEGER UNIQUE REFERENCES users(id),
    data        TEXT    NOT NULL
);

CREATE TABLE guilds (
    id       INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    data     TEXT    NOT NULL
);

CREATE TABLE channels (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER REFERENCES guilds(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL DEFAULT 0,
    last_message_id INTEGER,
    data            TEXT    NOT NULL
);
CREATE INDEX channels_by_guild ON channels(guild_id, position, id);

CREATE TABLE dm_recipients (
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX dm_recipients_by_user ON dm_recipients(user_id, channel_id);

CREATE TABLE roles (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    data     TEXT    NOT NULL
);
CREATE INDEX roles_by_guild ON roles(guild_id, position, id);

CREATE TABLE members (
    guild_id INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id),
    nick     TEXT,
    data     TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id, guild_id);

CREATE TABLE member_roles (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    role_id  INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, user_id, role_id),
    FOREIGN KEY (guild_id, user_id) REFERENCES members(guild_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX member_roles_by_role ON member_roles(role_id);

-- Messages live under (channel, 10-day bucket, id) as in Discord's Cassandra schema.
-- A deleted message keeps its key with deleted = 1 and an emptied body (a tombstone).
CREATE TABLE messages (
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    bucket     INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    guild_id   INTEGER,
    author_id  INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    pinned     INTEGER NOT NULL DEFAULT 0,
    data       TEXT    NOT NULL,
    PRIMARY KEY (channel_id, bucket, id)
) WITHOUT ROWID;
CREATE INDEX messages_by_author ON messages(guild_id, author_id, id) WHERE deleted = 0;

CREATE TABLE reactions (
    seq        INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    emoji_key  TEXT    NOT NULL,
    emoji_id   INTEGER,
    emoji_name TEXT    NOT NULL,
    animated   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       INTEGER NOT NULL,
    UNIQUE (message_id, emoji_key, kind, user_id)
);
CREATE INDEX reactions_by_channel ON reactions(channel_id);

CREATE TABLE pins (
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    pinned_at  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, message_id)
) WITHOUT ROWID;
CREATE INDEX pins_by_time ON pins(channel_id, pinned_at);

CREATE TABLE invites (
    code       TEXT    PRIMARY KEY,
    guild_id   INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    uses       INTEGER NOT NULL,
    max_uses   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT    NOT NULL
);
CREATE INDEX invites_by_channel ON invites(channel_id);
CREATE INDEX invites_by_guild ON invites(guild_id);

CREATE TABLE bans (
    guild_id INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    reason   TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
