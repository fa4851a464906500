//! The server in-process (through testkit) and as the real `guildhall` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guildhall_core::token::{self, TokenHash};
use guildhall_model::channel::ChannelType;
use guildhall_model::flags::ApplicationFlags;
use guildhall_testkit::{TestServer, small_seed};

const BIN: &str = env!("CARGO_BIN_EXE_guildhall");

#[tokio::test]
async fn healthz_answers_and_shutdown_is_graceful() {
    let server = TestServer::start().await;
    let resp = reqwest::get(format!("{}/healthz", server.base_url())).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ok"}));
    let addr = server.addr();
    server.stop().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "listener closed after shutdown");
}

#[tokio::test]
async fn seed_output_is_enough_to_log_a_bot_in() {
    let server = TestServer::start().await;
    let out = server.seed(&small_seed()).await;
    let store = server.services().store.clone();
    assert_eq!((out.text_channels.len(), out.voice_channels.len(), out.bots.len(), out.users.len()), (1, 1, 2, 1));
    assert_eq!(out.guild.owner_id, out.bots[0].id);
    assert_eq!(out.guild.everyone_role_id.get(), out.guild.id.get());

    for account in out.bots.iter().chain(&out.users) {
        // What an auth layer does with a presented token: find the user it names, compare digests.
        let claimed = token::claimed_user(&account.token).expect("token names its user");
        assert_eq!(claimed, account.id);
        let stored = store.token_hash(claimed).await.unwrap().expect("hash stored");
        assert!(TokenHash(stored).matches(&TokenHash::of(&account.token)));
        assert_ne!(stored.as_slice(), account.token.as_bytes(), "only the digest is stored");
        let user = store.user(claimed).await.unwrap().unwrap().user;
        assert_eq!(user.username, account.username);
        assert!(store.member(out.guild.id, account.id).await.unwrap().is_some(), "{} is a member", account.username);
    }
    for bot in &out.bots {
        let app = store.application_for_bot(bot.id).await.unwrap().expect("bot has an application");
        assert_eq!(Some(app.id), bot.application_id);
        assert!(app.flags.contains(ApplicationFlags::ALL_PRIVILEGED_INTENTS));
        assert_eq!(store.user(bot.id).await.unwrap().unwrap().user.bot, Some(true));
    }
    assert_eq!(store.user(out.users[0].id).await.unwrap().unwrap().user.bot, None);

    let guild = store.guild(out.guild.id).await.unwrap().unwrap();
    assert_eq!(guild.system_channel_id, Some(out.text_channels[0].id), "general is the system channel");
    let channels = store.guild_channels(out.guild.id).await.unwrap();
    assert_eq!(channels.len(), 2);
    let voice = channels.iter().find(|c| c.kind == ChannelType::GuildVoice).unwrap();
    assert_eq!((voice.bitrate, voice.user_limit), (Some(64_000), Some(0)));
    let roles = store.guild_roles(out.guild.id).await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name, "@everyone");
    assert_eq!(store.member_count(out.guild.id).await.unwrap(), 3);
    server.stop().await.unwrap();
}

/// Kills the server if a test fails before stopping it, so no process outlives the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    fn spawn(cmd: &mut Command) -> Self {
        Self(cmd.stderr(Stdio::piped()).spawn().unwrap())
    }

    /// Reads stderr until the "listening" log line and returns the address.
    fn wait_for_listen(&mut self) -> String {
        let stderr = self.0.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("addr=").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30)).expect("server never logged its address")
    }

    /// Sends SIGTERM (through kill(1): the workspace forbids `unsafe`) and waits for the exit.
    fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status().unwrap();
        assert!(status.success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < limit, "server did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn binary_serves_with_defaults_in_cwd_and_stops_on_sigterm() {
    let cwd = tempfile::tempdir().unwrap();
    // No flags: the data dir is ./guildhall-data in the working directory. Only the port is
    // moved (through the environment) so the test never collides with a real 8080.
    let mut server = Server::spawn(
        Command::new(BIN)
            .arg("serve")
            .current_dir(cwd.path())
            .env("GUILDHALL_LISTEN", "127.0.0.1:0")
            .env("GUILDHALL_TLS_LISTEN", "127.0.0.1:0")
            .env("GUILDHALL_VOICE_UDP", "127.0.0.1:0")
            .env_remove("GUILDHALL_DATA_DIR")
            .env_remove("GUILDHALL_CONFIG"),
    );
    let addr = server.wait_for_listen();
    let body: serde_json::Value = reqwest::blocking::get(format!("http://{addr}/healthz")).unwrap().json().unwrap();
    assert_eq!(body["status"], "ok");
    assert!(cwd.path().join("guildhall-data/guildhall.db").exists());
    assert!(cwd.path().join("guildhall-data/secret.key").exists());
    // The TLS listener (voice needs wss://) runs on a CA generated into the data dir.
    for file in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
        assert!(cwd.path().join("guildhall-data/tls").join(file).exists(), "{file}");
    }
    let status = server.terminate(Duration::from_secs(10));
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn binary_seed_prints_json_and_a_server_on_the_same_data_serves_it() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "seed",
            "--guild",
            "Seeded",
            "--text-channels",
            "2",
            "--voice-channels",
            "1",
            "--bots",
            "2",
            "--users",
            "1",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    assert_eq!(json["guild"]["name"], "Seeded");
    assert_eq!(json["text_channels"].as_array().unwrap().len(), 2);
    assert_eq!(json["text_channels"][0]["name"], "general");
    assert_eq!(json["voice_channels"][0]["name"], "General");
    assert_eq!(json["bots"].as_array().unwrap().len(), 2);
    let token = json["bots"][0]["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(token::claimed_user(token).unwrap().to_string(), json["bots"][0]["id"].as_str().unwrap());
    // Ids minted by the seed tool carry process bits 1, the server's carry 0: the two can run
    // side by side on one data directory without minting the same id.
    let guild_id: u64 = json["guild"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(guildhall_model::snowflake::decompose(guild_id).2, 1);

    let bad = Command::new(BIN).args(["seed", "--guild", "x", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(!bad.status.success(), "a one-letter guild name is refused");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("guild"), "{}", String::from_utf8_lossy(&bad.stderr));

    let mut server = Server::spawn(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .env("GUILDHALL_TLS_LISTEN", "127.0.0.1:0")
            .env("GUILDHALL_VOICE_UDP", "127.0.0.1:0"),
    );
    let addr = server.wait_for_listen();
    assert_eq!(reqwest::blocking::get(format!("http://{addr}/healthz")).unwrap().status(), 200);
    // The seeded bot's token works against the REST API of the real binary, with Discord's
    // exact content type (discord.py compares it with `==`).
    let client = reqwest::blocking::Client::new();
    let me = client
        .get(format!("http://{addr}/api/v10/users/@me"))
        .header("authorization", format!("Bot {token}"))
        .send()
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["content-type"], "application/json");
    let me: serde_json::Value = me.json().unwrap();
    assert_eq!(me["id"], json["bots"][0]["id"]);
    let gateway: serde_json::Value =
        client.get(format!("http://{addr}/api/v10/gateway")).send().unwrap().json().unwrap();
    assert_eq!(gateway["url"], format!("ws://{addr}/gateway"));
    assert!(server.terminate(Duration::from_secs(10)).success());
}

#[test]
fn bad_config_is_an_error_not_a_default() {
    let out = Command::new(BIN).args(["serve", "--log-format", "xml"]).output().unwrap();
    assert!(!out.status.success());
    let out = Command::new(BIN).arg("serve").env("GUILDHALL_LISTEN", "nowhere").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("GUILDHALL_LISTEN"));
}
