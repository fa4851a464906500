//! `guildhall seed`: a guild with channels, an @everyone role and bot (and user) accounts, printed
//! as one JSON object — everything a bot developer or a test needs to log in.
//!
//! The first bot owns the guild (or the first user when there are no bots), so a seeded bot can
//! create channels, manage messages and pin without further setup. Bots get every privileged
//! intent. This is a bootstrap path that writes through the store directly; user-facing
//! creation goes through core's operations.

use crate::defaults::guild_channel;
use crate::limits::{self, FormError};
use crate::token::{self, TokenSecret};
use guildhall_model::channel::ChannelType;
use guildhall_model::flags::{ApplicationFlags, Permissions, UserFlags};
use guildhall_model::guild::{Guild, Role};
use guildhall_model::id::marker::{
    ApplicationMarker, ChannelMarker, GuildMarker, MessageMarker, RoleMarker, UserMarker,
};
use guildhall_model::user::User;
use guildhall_model::{Id, SnowflakeGenerator, Timestamp};
use guildhall_store::{ApplicationRecord, MemberRecord, MessageRecord, Store, StoreError, UserRecord};
use rand::RngCore;
use serde::Serialize;

/// What to create.
#[derive(Clone, Debug)]
pub struct SeedRequest {
    /// Guild name (2–100 characters).
    pub guild: String,
    /// Number of text channels (the first is `general`).
    pub text_channels: u32,
    /// Number of voice channels (the first is `General`).
    pub voice_channels: u32,
    /// Number of bot accounts.
    pub bots: u32,
    /// Number of human accounts.
    pub users: u32,
}

/// One JSON object with every id and token.
#[derive(Clone, Debug, Serialize)]
pub struct SeedOutput {
    /// The guild.
    pub guild: SeededGuild,
    /// Text channels, in position order.
    pub text_channels: Vec<SeededChannel>,
    /// Voice channels, in position order.
    pub voice_channels: Vec<SeededChannel>,
    /// Bot accounts (`Authorization: Bot <token>`).
    pub bots: Vec<SeededAccount>,
    /// Human accounts (`Authorization: <token>`).
    pub users: Vec<SeededAccount>,
    /// Messages written by [`seed_messages`], if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<SeededMessages>,
}

/// A run of seeded messages in one channel.
#[derive(Clone, Debug, Serialize)]
pub struct SeededMessages {
    /// The channel holding them.
    pub channel_id: Id<ChannelMarker>,
    /// How many.
    pub count: u64,
    /// The oldest message.
    pub first_id: Id<MessageMarker>,
    /// The newest message.
    pub last_id: Id<MessageMarker>,
}

/// The seeded guild.
#[derive(Clone, Debug, Serialize)]
pub struct SeededGuild {
    /// Guild id.
    pub id: Id<GuildMarker>,
    /// Guild name.
    pub name: String,
    /// Owner (the first bot, else the first user).
    pub owner_id: Id<UserMarker>,
    /// The @everyone role (same id as the guild).
    pub everyone_role_id: Id<RoleMarker>,
}

/// A seeded channel.
#[derive(Clone, Debug, Serialize)]
pub struct SeededChannel {
    /// Channel id.
    pub id: Id<ChannelMarker>,
    /// Channel name.
    pub name: String,
}

/// A seeded account with its token.
#[derive(Clone, Debug, Serialize)]
pub struct SeededAccount {
    /// User id.
    pub id: Id<UserMarker>,
    /// Username.
    pub username: String,
    /// The token (shown once; only its hash is stored).
    pub token: String,
    /// The bot's application (bots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Id<ApplicationMarker>>,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The request is invalid (bad name, no accounts to own the guild, too many channels).
    #[error("invalid seed request: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FormError> for SeedError {
    fn from(e: FormError) -> Self {
        Self::Invalid(e.to_string())
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates everything in `request`. `now` is the wall clock (passed in for tests).
pub async fn seed(
    store: &dyn Store,
    ids: &SnowflakeGenerator,
    secret: &TokenSecret,
    now: Timestamp,
    request: &SeedRequest,
) -> Result<SeedOutput, SeedError> {
    limits::validate_guild_name(&request.guild)?;
    if request.bots == 0 && request.users == 0 {
        return Err(SeedError::Invalid("at least one bot or user is needed to own the guild".into()));
    }
    let channel_count = u64::from(request.text_channels) + u64::from(request.voice_channels);
    if channel_count > limits::CHANNELS_MAX as u64 {
        return Err(SeedError::Invalid(format!("at most {} channels per guild", limits::CHANNELS_MAX)));
    }
    let now_ms = u64::try_from(now.as_millis()).unwrap_or(0);
    let now_secs = u64::try_from(now.as_secs()).unwrap_or(0);

    let mut bots = Vec::new();
    let mut users = Vec::new();
    for (count, is_bot) in [(request.bots, true), (request.users, false)] {
        for n in 1..=count {
            let id: Id<UserMarker> = ids.next(now_ms);
            let username = format!("{}{n}", if is_bot { "bot" } else { "user" });
            let mut user = User::new(id, username.clone());
            user.public_flags = Some(UserFlags::empty());
            if is_bot {
                user.bot = Some(true);
            }
            store.create_user(&UserRecord { user, email: None, password_hash: None }).await?;
            let issued = token::issue(secret, id, now_secs);
            store.set_token_hash(id, issued.hash.0).await?;
            let application_id = if is_bot {
                let app = ApplicationRecord {
                    id: id.cast(),
                    name: username.clone(),
                    description: String::new(),
                    icon: None,
                    owner_id: id,
                    bot_user_id: Some(id),
                    bot_public: true,
                    bot_require_code_grant: false,
                    verify_key: random_hex(32),
                    flags: ApplicationFlags::ALL_PRIVILEGED_INTENTS,
                };
                store.create_application(&app).await?;
                Some(app.id)
            } else {
                None
            };
            let account = SeededAccount { id, username, token: issued.token, application_id };
            if is_bot { bots.push(account) } else { users.push(account) }
        }
    }
    let owner_id = bots.first().or(users.first()).map(|a| a.id).ok_or_else(|| SeedError::Invalid("no owner".into()))?;

    let guild_id: Id<GuildMarker> = ids.next(now_ms);
    // The first text channel is the system channel; its id is minted up front so the guild is
    // written once, complete.
    let first_text: Option<Id<ChannelMarker>> = (request.text_channels > 0).then(|| ids.next(now_ms));
    let mut guild = Guild::new(guild_id, request.guild.clone(), owner_id);
    guild.system_channel_id = first_text;
    store.create_guild(&guild).await?;
    store.create_role(guild_id, &Role::everyone(guild_id, Permissions::DEFAULT_EVERYONE)).await?;
    for account in bots.iter().chain(&users) {
        store.add_member(&MemberRecord::new(guild_id, account.id, now)).await?;
    }

    let mut text_channels = Vec::new();
    let mut voice_channels = Vec::new();
    for (count, kind, first, prefix, out) in [
        (request.text_channels, ChannelType::GuildText, "general", "text-", &mut text_channels),
        (request.voice_channels, ChannelType::GuildVoice, "General", "Voice ", &mut voice_channels),
    ] {
        for n in 0..count {
            let name = if n == 0 { first.to_owned() } else { format!("{prefix}{}", n + 1) };
            let id = match (kind, n, first_text) {
                (ChannelType::GuildText, 0, Some(first)) => first,
                _ => ids.next(now_ms),
            };
            let position = i32::try_from(n).unwrap_or(i32::MAX);
            store.create_channel(&guild_channel(id, guild_id, kind, name.clone(), position)).await?;
            out.push(SeededChannel { id, name });
        }
    }
    Ok(SeedOutput {
        guild: SeededGuild { id: guild_id, name: request.guild.clone(), owner_id, everyone_role_id: guild_id.cast() },
        text_channels,
        voice_channels,
        bots,
        users,
        messages: None,
    })
}

/// Messages written per transaction by [`seed_messages`].
const SEED_BATCH: usize = 10_000;

/// Writes `count` short messages by `author` into `channel` (bulk import, for load tests and
/// demos), oldest first, in transactions of 10,000. Returns `None` for `count == 0`.
pub async fn seed_messages(
    store: &dyn Store,
    ids: &SnowflakeGenerator,
    now: Timestamp,
    guild: Id<GuildMarker>,
    channel: Id<ChannelMarker>,
    author: Id<UserMarker>,
    count: u64,
) -> Result<Option<SeededMessages>, SeedError> {
    let now_ms = u64::try_from(now.as_millis()).unwrap_or(0);
    let mut first = None;
    let mut last = None;
    let mut written = 0u64;
    while written < count {
        let n = usize::try_from(count - written).unwrap_or(SEED_BATCH).min(SEED_BATCH);
        let batch: Vec<MessageRecord> = (0..n)
            .map(|k| {
                let id: Id<MessageMarker> = ids.next(now_ms);
                let mut m = MessageRecord::new(
                    id,
                    channel,
                    Some(guild),
                    author,
                    format!("seeded message {}", written + k as u64),
                );
                m.timestamp = now;
                m
            })
            .collect();
        first = first.or(batch.first().map(|m| m.id));
        last = batch.last().map(|m| m.id).or(last);
        store.create_messages(&batch).await?;
        written += n as u64;
    }
    Ok(first.zip(last).map(|(first_id, last_id)| SeededMessages { channel_id: channel, count, first_id, last_id }))
}
