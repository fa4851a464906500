//! Shared setup of the gateway end-to-end tests: a server with test hooks and no REST rate
//! limits, a REST helper, the intent bits (protocol.md §1.6) and accounts from the seed.

#![allow(dead_code, unreachable_pub)]

pub mod voice;

pub mod record;

use guildhall_server::seed::{SeedOutput, SeedRequest, SeededAccount};
use guildhall_testkit::TestServer;
use guildhall_testkit::gateway::{Compression, GatewayClient};
use serde_json::Value;

pub mod intents {
    pub const GUILDS: u64 = 1;
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    pub const GUILD_MODERATION: u64 = 1 << 2;
    pub const GUILD_EXPRESSIONS: u64 = 1 << 3;
    pub const GUILD_WEBHOOKS: u64 = 1 << 5;
    pub const GUILD_INVITES: u64 = 1 << 6;
    pub const GUILD_VOICE_STATES: u64 = 1 << 7;
    pub const GUILD_PRESENCES: u64 = 1 << 8;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
    pub const GUILD_MESSAGE_TYPING: u64 = 1 << 11;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
    /// Every intent Discord defines (protocol.md §1.6).
    pub const ALL: u64 = 0x0331_FFFF;
    /// Every intent but the three privileged ones.
    pub const UNPRIVILEGED: u64 = ALL & !(GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT);
}

pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const ADMINISTRATOR: u64 = 1 << 3;

/// An account that can log in over REST and the gateway.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub token: String,
    pub bot: bool,
}

impl Account {
    pub fn from_seed(account: &SeededAccount, bot: bool) -> Self {
        Self { id: account.id.to_string(), token: account.token.clone(), bot }
    }

    /// The REST `Authorization` header value.
    pub fn auth(&self) -> String {
        if self.bot { format!("Bot {}", self.token) } else { self.token.clone() }
    }
}

/// The seeded guild as the tests use it.
#[derive(Debug)]
pub struct World {
    pub server: TestServer,
    pub rest: Rest,
    pub seed: SeedOutput,
    pub guild: String,
    pub bots: Vec<Account>,
    pub users: Vec<Account>,
    pub text: Vec<String>,
    pub voice: Vec<String>,
}

impl World {
    /// A server (test hooks on, REST limits off) with one seeded guild.
    pub async fn start(bots: u32, users: u32, text_channels: u32) -> Self {
        Self::start_with(bots, users, text_channels, |_| {}).await
    }

    /// [`World::start`] with the configuration `configure` leaves.
    pub async fn start_with(
        bots: u32,
        users: u32,
        text_channels: u32,
        configure: impl FnOnce(&mut guildhall_server::Config),
    ) -> Self {
        let server = TestServer::start_with(|c| {
            c.test_hooks = true;
            c.rate_limits.enabled = false;
            configure(c);
        })
        .await;
        let seed = server
            .seed(&SeedRequest { guild: "Gateway Guild".into(), text_channels, voice_channels: 1, bots, users })
            .await;
        Self::from_seed(server, seed)
    }

    pub fn from_seed(server: TestServer, seed: SeedOutput) -> Self {
        let rest = Rest::new(&server);
        Self {
            rest,
            guild: seed.guild.id.to_string(),
            bots: seed.bots.iter().map(|a| Account::from_seed(a, true)).collect(),
            users: seed.users.iter().map(|a| Account::from_seed(a, false)).collect(),
            text: seed.text_channels.iter().map(|c| c.id.to_string()).collect(),
            voice: seed.voice_channels.iter().map(|c| c.id.to_string()).collect(),
            seed,
            server,
        }
    }

    /// The guild owner (the first bot).
    pub fn owner(&self) -> &Account {
        &self.bots[0]
    }

    /// A second guild on the same server ("Elsewhere": one text channel, a bot that owns it
    /// and a user), for tests about joining and leaving guilds.
    pub async fn seed_elsewhere(&self) -> SeedOutput {
        let request = SeedRequest { guild: "Elsewhere".into(), text_channels: 1, voice_channels: 0, bots: 1, users: 1 };
        self.server.seed(&request).await
    }

    /// Posts `content` in `channel` as `who` and returns the message id.
    pub async fn post(&self, who: &Account, channel: &str, content: &str) -> String {
        let path = format!("/channels/{channel}/messages");
        let message = self.rest.ok(who, "POST", &path, Some(serde_json::json!({"content": content}))).await;
        message["id"].as_str().unwrap_or_default().to_owned()
    }

    /// A new connection (plain JSON) that has read HELLO.
    pub async fn connect(&self) -> GatewayClient {
        let mut client = GatewayClient::connect(&self.server.gateway_url(), Compression::None).await;
        client.hello().await;
        client
    }

    /// A logged-in session: READY and the GUILD_CREATEs read.
    pub async fn login(&self, account: &Account, intents: u64) -> GatewayClient {
        let mut client = GatewayClient::connect(&self.server.gateway_url(), Compression::None).await;
        client.login(&account.token, intents).await;
        client
    }
}

/// REST over the server's listener.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
}

impl Rest {
    pub fn new(server: &TestServer) -> Self {
        Self { http: reqwest::Client::new(), base: format!("{}/api/v10", server.base_url()) }
    }

    /// Sends a request as `who` and returns the status and the JSON body (`null` if none).
    pub async fn call(&self, who: &Account, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base)).header("authorization", who.auth());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (status, value)
    }

    /// Like [`Rest::call`] but the status must be 2xx.
    pub async fn ok(&self, who: &Account, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(who, method, path, body).await;
        assert!((200..300).contains(&status), "{method} {path} → {status} {value}");
        value
    }

    /// `POST` to a test hook (outside `/api/v10`).
    pub async fn hook(&self, path: &str, body: Value) -> Value {
        let base = self.base.trim_end_matches("/api/v10");
        let response = self.http.post(format!("{base}{path}")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "test hook {path}");
        response.json().await.unwrap()
    }
}
