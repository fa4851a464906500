//! The acceptance test of the gateway fan-out: 50 sessions in one guild (bots and users, with
//! and without GUILD_MESSAGES / GUILD_MEMBERS / MESSAGE_CONTENT, different roles), a few hundred
//! random REST mutations done one after another by privileged actors, and an oracle that does
//! not look at the gateway: who can see which channel is asked of REST as each user
//! (`GET /channels/{id}`: 200 or 403/404) after every mutation that may change it, and which
//! session wants which event is the intent table of protocol.md §1.6. At the end every session
//! must have received exactly the expected events in order — no leak, no miss — with
//! consecutive sequence numbers.
//!
//! Seed: `GUILDHALL_FANOUT_SEED` (default fixed), printed on failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use gateway_support::record::{END, Key, START, key_of, record};
use gateway_support::{ADMINISTRATOR, Account, Rest, VIEW_CHANNEL, World, intents};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const SESSIONS_BOTS: usize = 20;
const SESSIONS_USERS: usize = 30;
const MUTATIONS: usize = 400;
const SEND_MESSAGES: u64 = 1 << 11;
const ADD_REACTIONS: u64 = 1 << 6;
const READ_MESSAGE_HISTORY: u64 = 1 << 16;

struct Member {
    account: Account,
    intents: u64,
    roles: HashSet<String>,
}

struct Msg {
    channel: String,
    id: String,
    author: usize,
    content: String,
    mentions: Vec<String>,
    pinned: bool,
}

struct Oracle {
    rest: Rest,
    guild: String,
    everyone: String,
    members: Vec<Member>,
    /// Owner and the two administrators: the actors, and the only holders of MANAGE_CHANNELS.
    actors: Vec<usize>,
    channels: Vec<String>,
    created_channels: Vec<String>,
    /// (member, channel) → visible.
    visible: HashMap<(usize, String), bool>,
    overwrites: HashMap<String, BTreeMap<String, (u8, bool)>>,
    roles: Vec<String>,
    role_perms: HashMap<String, u64>,
    messages: Vec<Msg>,
    reacted: HashSet<(String, String, usize)>,
    invites: Vec<(String, String)>,
    webhooks: Vec<(String, String, String)>,
    expected: Vec<Vec<Key>>,
    log: Vec<String>,
    counter: usize,
}

impl Oracle {
    fn member(&self, index: usize) -> &Account {
        &self.members[index].account
    }

    async fn ok(&self, who: usize, method: &str, path: &str, body: Option<Value>) -> Value {
        self.rest.ok(self.member(who), method, path, body).await
    }

    /// Asks REST, as each of `users`, whether they can see each of `channels`.
    async fn refresh(&mut self, users: &[usize], channels: &[String]) {
        let mut tasks = tokio::task::JoinSet::new();
        for &user in users {
            let (rest, account, channels) = (self.rest.clone(), self.member(user).clone(), channels.to_vec());
            tasks.spawn(async move {
                let mut out = Vec::new();
                for channel in channels {
                    let (status, body) = rest.call(&account, "GET", &format!("/channels/{channel}"), None).await;
                    assert!(matches!(status, 200 | 403 | 404), "GET /channels/{channel} → {status} {body}");
                    out.push((user, channel, status == 200));
                }
                out
            });
        }
        while let Some(result) = tasks.join_next().await {
            for (user, channel, seen) in result.unwrap() {
                self.visible.insert((user, channel), seen);
            }
        }
    }

    async fn refresh_all(&mut self) {
        let (users, channels): (Vec<_>, Vec<_>) = ((0..self.members.len()).collect(), self.channels.clone());
        self.refresh(&users, &channels).await;
    }

    fn sees(&self, user: usize, channel: &str) -> bool {
        self.visible.get(&(user, channel.to_owned())).copied().unwrap_or(false)
    }

    fn wants(&self, user: usize, intent: u64) -> bool {
        self.members[user].intents & intent == intent
    }

    /// `name` to every session that wants `intent` and can see `channel`.
    fn expect_in_channel(&mut self, name: &str, channel: &str, intent: u64, id: &str) {
        for user in 0..self.members.len() {
            if self.wants(user, intent) && self.sees(user, channel) {
                self.expected[user].push((name.to_owned(), id.to_owned()));
            }
        }
    }

    /// `name` to every session that wants `intent`.
    fn expect_guild_wide(&mut self, name: &str, intent: u64, id: &str) {
        for user in 0..self.members.len() {
            if self.wants(user, intent) {
                self.expected[user].push((name.to_owned(), id.to_owned()));
            }
        }
    }

    /// A message event: the content each session must see (protocol.md §1.6 MESSAGE_CONTENT).
    fn expect_message(&mut self, name: &str, msg_index: usize) {
        let msg = &self.messages[msg_index];
        let (channel, id, author, content, mentions) =
            (msg.channel.clone(), msg.id.clone(), msg.author, msg.content.clone(), msg.mentions.clone());
        self.expect_message_raw(name, &channel, &id, Some(author), &content, &mentions);
    }

    fn expect_message_raw(
        &mut self,
        name: &str,
        channel: &str,
        id: &str,
        author: Option<usize>,
        content: &str,
        mentions: &[String],
    ) {
        for user in 0..self.members.len() {
            if !(self.wants(user, intents::GUILD_MESSAGES) && self.sees(user, channel)) {
                continue;
            }
            let m = &self.members[user];
            let stripped = m.account.bot
                && m.intents & intents::MESSAGE_CONTENT == 0
                && author != Some(user)
                && !mentions.contains(&m.account.id);
            let seen = if stripped { "" } else { content };
            self.expected[user].push((name.to_owned(), format!("{id}|{seen}")));
        }
    }

    fn member_update(&mut self, target: usize) {
        let id = self.member(target).id.clone();
        for user in 0..self.members.len() {
            // Without GUILD_MEMBERS a session still hears about its own member (protocol.md §1.6).
            if self.wants(user, intents::GUILD_MEMBERS) || user == target {
                self.expected[user].push(("GUILD_MEMBER_UPDATE".into(), id.clone()));
            }
        }
    }

    fn random_perms(rng: &mut StdRng) -> u64 {
        let mut perms = 0;
        for bit in [VIEW_CHANNEL, SEND_MESSAGES, ADD_REACTIONS, READ_MESSAGE_HISTORY] {
            if rng.random_bool(0.6) {
                perms |= bit;
            }
        }
        perms
    }

    fn next(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    /// One random mutation and its expected events.
    async fn mutate(&mut self, rng: &mut StdRng) {
        let actor = self.actors[rng.random_range(0..self.actors.len())];
        let channel = self.channels[rng.random_range(0..self.channels.len())].clone();
        let n = self.next();
        let roll = rng.random_range(0..100);
        match roll {
            0..=21 => {
                let mut content = format!("message {n}");
                if rng.random_bool(0.3) {
                    let target = rng.random_range(0..self.members.len());
                    content.push_str(&format!(" <@{}>", self.member(target).id));
                }
                let path = format!("/channels/{channel}/messages");
                let m = self.ok(actor, "POST", &path, Some(json!({"content": content}))).await;
                self.log.push(format!("{n}: {actor} posts {} in {channel}", m["id"]));
                self.messages.push(message(&m, &channel, actor));
                self.expect_message("MESSAGE_CREATE", self.messages.len() - 1);
            }
            22..=28 => {
                let Some(i) = self.pick_message(rng, Some(actor)) else { return };
                let path = format!("/channels/{}/messages/{}", self.messages[i].channel, self.messages[i].id);
                let content = format!("edited {n}");
                let m = self.ok(actor, "PATCH", &path, Some(json!({"content": content}))).await;
                self.log.push(format!("{n}: {actor} edits {}", self.messages[i].id));
                let channel = self.messages[i].channel.clone();
                self.messages[i] = Msg { pinned: self.messages[i].pinned, ..message(&m, &channel, actor) };
                self.expect_message("MESSAGE_UPDATE", i);
            }
            29..=33 => {
                let Some(i) = self.pick_message(rng, None) else { return };
                let msg = self.messages.remove(i);
                self.ok(actor, "DELETE", &format!("/channels/{}/messages/{}", msg.channel, msg.id), None).await;
                self.log.push(format!("{n}: {actor} deletes {}", msg.id));
                self.expect_in_channel("MESSAGE_DELETE", &msg.channel, intents::GUILD_MESSAGES, &msg.id);
            }
            34..=40 => {
                let Some(i) = self.pick_message(rng, None) else { return };
                let (emoji, name) = [("%F0%9F%91%8D", "👍"), ("%F0%9F%94%A5", "🔥")][rng.random_range(0..2)];
                let (channel, id) = (self.messages[i].channel.clone(), self.messages[i].id.clone());
                if !self.reacted.insert((id.clone(), name.to_owned(), actor)) {
                    return;
                }
                let path = format!("/channels/{channel}/messages/{id}/reactions/{emoji}/@me");
                self.ok(actor, "PUT", &path, None).await;
                self.log.push(format!("{n}: {actor} reacts {name} to {id}"));
                let key = format!("{id}|{name}|{}", self.member(actor).id);
                self.expect_in_channel("MESSAGE_REACTION_ADD", &channel, intents::GUILD_MESSAGE_REACTIONS, &key);
            }
            41..=45 => {
                self.ok(actor, "POST", &format!("/channels/{channel}/typing"), None).await;
                self.log.push(format!("{n}: {actor} types in {channel}"));
                let key = format!("{channel}|{}", self.member(actor).id);
                self.expect_in_channel("TYPING_START", &channel, intents::GUILD_MESSAGE_TYPING, &key);
            }
            46..=49 => {
                let Some(i) = self.pick_message(rng, None) else { return };
                if self.messages[i].pinned {
                    return;
                }
                let (channel, id) = (self.messages[i].channel.clone(), self.messages[i].id.clone());
                self.ok(actor, "PUT", &format!("/channels/{channel}/messages/pins/{id}"), None).await;
                self.messages[i].pinned = true;
                let latest = self.ok(actor, "GET", &format!("/channels/{channel}/messages?limit=1"), None).await;
                let notice = latest[0]["id"].as_str().unwrap().to_owned();
                assert_eq!(latest[0]["type"], 6, "the pin notice is the newest message");
                self.log.push(format!("{n}: {actor} pins {id} (notice {notice})"));
                self.expect_message("MESSAGE_UPDATE", i);
                self.expect_in_channel("CHANNEL_PINS_UPDATE", &channel, intents::GUILDS, &channel);
                self.expect_message_raw("MESSAGE_CREATE", &channel, &notice, Some(actor), "", &[]);
            }
            50..=53 => {
                let perms = Self::random_perms(rng);
                let path = format!("/guilds/{}/roles", self.guild);
                let role = self
                    .ok(0, "POST", &path, Some(json!({"name": format!("r{n}"), "permissions": perms.to_string()})))
                    .await;
                let id = role["id"].as_str().unwrap().to_owned();
                self.log.push(format!("{n}: role {id} created with {perms}"));
                self.roles.push(id.clone());
                self.role_perms.insert(id.clone(), perms);
                self.expect_guild_wide("GUILD_ROLE_CREATE", intents::GUILDS, &id);
            }
            54..=59 => {
                let role = if rng.random_bool(0.25) {
                    self.everyone.clone()
                } else {
                    self.roles[rng.random_range(0..self.roles.len())].clone()
                };
                let old = self.role_perms[&role];
                let perms = if rng.random_bool(0.6) { old ^ VIEW_CHANNEL } else { Self::random_perms(rng) };
                let path = format!("/guilds/{}/roles/{role}", self.guild);
                self.ok(0, "PATCH", &path, Some(json!({"permissions": perms.to_string()}))).await;
                self.role_perms.insert(role.clone(), perms);
                self.log.push(format!("{n}: role {role} permissions {old} → {perms}"));
                self.expect_guild_wide("GUILD_ROLE_UPDATE", intents::GUILDS, &role);
                self.refresh_all().await;
            }
            60..=71 => {
                let target = rng.random_range(1..self.members.len());
                let role = self.roles[rng.random_range(0..self.roles.len())].clone();
                let has = self.members[target].roles.contains(&role);
                let path = format!("/guilds/{}/members/{}/roles/{role}", self.guild, self.member(target).id);
                self.ok(0, if has { "DELETE" } else { "PUT" }, &path, None).await;
                if has {
                    self.members[target].roles.remove(&role);
                } else {
                    self.members[target].roles.insert(role.clone());
                }
                self.log.push(format!("{n}: member {target} {} role {role}", if has { "loses" } else { "gets" }));
                self.member_update(target);
                let channels = self.channels.clone();
                self.refresh(&[target], &channels).await;
            }
            72..=75 => {
                if self.channels.len() >= 8 {
                    return;
                }
                let mut body = json!({"name": format!("chan-{n}"), "type": 0});
                let mut overwrites = BTreeMap::new();
                if rng.random_bool(0.5) {
                    let role = self.roles[rng.random_range(0..self.roles.len())].clone();
                    body["permission_overwrites"] = json!([
                        {"id": self.everyone, "type": 0, "allow": "0", "deny": VIEW_CHANNEL.to_string()},
                        {"id": role, "type": 0, "allow": VIEW_CHANNEL.to_string(), "deny": "0"},
                    ]);
                    overwrites.insert(self.everyone.clone(), (0, false));
                    overwrites.insert(role, (0, true));
                }
                let created = self.ok(0, "POST", &format!("/guilds/{}/channels", self.guild), Some(body)).await;
                let id = created["id"].as_str().unwrap().to_owned();
                self.log.push(format!("{n}: channel {id} created ({} overwrites)", overwrites.len()));
                self.channels.push(id.clone());
                self.created_channels.push(id.clone());
                self.overwrites.insert(id.clone(), overwrites);
                let users: Vec<_> = (0..self.members.len()).collect();
                self.refresh(&users, std::slice::from_ref(&id)).await;
                self.expect_in_channel("CHANNEL_CREATE", &id, intents::GUILDS, &id);
            }
            76..=78 => {
                let body = json!({"name": format!("renamed-{n}"), "topic": format!("topic {n}")});
                self.ok(0, "PATCH", &format!("/channels/{channel}"), Some(body)).await;
                self.log.push(format!("{n}: channel {channel} renamed"));
                self.expect_in_channel("CHANNEL_UPDATE", &channel, intents::GUILDS, &channel);
            }
            79..=87 => self.change_overwrite(rng, &channel, n).await,
            88 | 89 => {
                if self.created_channels.is_empty() {
                    return;
                }
                let id = self.created_channels.remove(rng.random_range(0..self.created_channels.len()));
                self.ok(0, "DELETE", &format!("/channels/{id}"), None).await;
                self.log.push(format!("{n}: channel {id} deleted"));
                self.expect_in_channel("CHANNEL_DELETE", &id, intents::GUILDS, &id);
                self.channels.retain(|c| *c != id);
                self.messages.retain(|m| m.channel != id);
                self.invites.retain(|(_, c)| *c != id);
                self.webhooks.retain(|(_, _, c)| *c != id);
            }
            _ => self.invite_or_webhook(rng, actor, &channel, n).await,
        }
    }

    fn pick_message(&self, rng: &mut StdRng, author: Option<usize>) -> Option<usize> {
        let candidates: Vec<_> =
            (0..self.messages.len()).filter(|&i| author.is_none_or(|a| self.messages[i].author == a)).collect();
        (!candidates.is_empty()).then(|| candidates[rng.random_range(0..candidates.len())])
    }

    /// PUT or DELETE of a VIEW_CHANNEL overwrite: the members who lost sight get CHANNEL_DELETE,
    /// those who gained it CHANNEL_CREATE, the others who see it CHANNEL_UPDATE.
    async fn change_overwrite(&mut self, rng: &mut StdRng, channel: &str, n: usize) {
        let current = self.overwrites.entry(channel.to_owned()).or_default().clone();
        let before: Vec<bool> = (0..self.members.len()).map(|u| self.sees(u, channel)).collect();
        if !current.is_empty() && rng.random_bool(0.3) {
            let keys: Vec<_> = current.keys().cloned().collect();
            let target = keys[rng.random_range(0..keys.len())].clone();
            self.ok(0, "DELETE", &format!("/channels/{channel}/permissions/{target}"), None).await;
            self.overwrites.get_mut(channel).unwrap().remove(&target);
            self.log.push(format!("{n}: overwrite {target} on {channel} removed"));
        } else {
            let (target, kind) = match rng.random_range(0..4) {
                0 => (self.everyone.clone(), 0u8),
                1 => (self.member(rng.random_range(3..self.members.len())).id.clone(), 1),
                _ => (self.roles[rng.random_range(0..self.roles.len())].clone(), 0),
            };
            let allow = match current.get(&target) {
                Some((_, allow)) => !allow,
                None => rng.random_bool(0.5),
            };
            let (a, d) = if allow { (VIEW_CHANNEL, 0) } else { (0, VIEW_CHANNEL) };
            let body = json!({"type": kind, "allow": a.to_string(), "deny": d.to_string()});
            self.ok(0, "PUT", &format!("/channels/{channel}/permissions/{target}"), Some(body)).await;
            self.overwrites.get_mut(channel).unwrap().insert(target.clone(), (kind, allow));
            self.log.push(format!(
                "{n}: overwrite {target} on {channel}: view {}",
                if allow { "allowed" } else { "denied" }
            ));
        }
        let users: Vec<_> = (0..self.members.len()).collect();
        self.refresh(&users, &[channel.to_owned()]).await;
        for (user, was) in before.into_iter().enumerate() {
            let now = self.sees(user, channel);
            let name = match (was, now) {
                (true, true) => "CHANNEL_UPDATE",
                (true, false) => "CHANNEL_DELETE",
                (false, true) => "CHANNEL_CREATE",
                (false, false) => continue,
            };
            if self.wants(user, intents::GUILDS) {
                self.expected[user].push((name.to_owned(), channel.to_owned()));
            }
        }
    }

    /// Invites (to sessions that see the channel with MANAGE_CHANNELS: the owner and the
    /// administrators), nickname changes and webhooks.
    async fn invite_or_webhook(&mut self, rng: &mut StdRng, actor: usize, channel: &str, n: usize) {
        let managers: Vec<_> = self.actors.clone();
        match rng.random_range(0..5) {
            0 => {
                let invite = self
                    .ok(actor, "POST", &format!("/channels/{channel}/invites"), Some(json!({"unique": true})))
                    .await;
                let code = invite["code"].as_str().unwrap().to_owned();
                self.log.push(format!("{n}: invite {code} to {channel}"));
                for &user in &managers {
                    if self.wants(user, intents::GUILD_INVITES) && self.sees(user, channel) {
                        self.expected[user].push(("INVITE_CREATE".into(), code.clone()));
                    }
                }
                self.invites.push((code, channel.to_owned()));
            }
            1 if !self.invites.is_empty() => {
                let (code, channel) = self.invites.remove(rng.random_range(0..self.invites.len()));
                self.ok(actor, "DELETE", &format!("/invites/{code}"), None).await;
                self.log.push(format!("{n}: invite {code} deleted"));
                for &user in &managers {
                    if self.wants(user, intents::GUILD_INVITES) && self.sees(user, &channel) {
                        self.expected[user].push(("INVITE_DELETE".into(), code.clone()));
                    }
                }
            }
            2 => {
                let target = rng.random_range(1..self.members.len());
                let path = format!("/guilds/{}/members/{}", self.guild, self.member(target).id);
                self.ok(0, "PATCH", &path, Some(json!({"nick": format!("nick {n}")}))).await;
                self.log.push(format!("{n}: member {target} renamed"));
                self.member_update(target);
            }
            3 => {
                let hook = self
                    .ok(
                        actor,
                        "POST",
                        &format!("/channels/{channel}/webhooks"),
                        Some(json!({"name": format!("hook {n}")})),
                    )
                    .await;
                let (id, token) = (hook["id"].as_str().unwrap().to_owned(), hook["token"].as_str().unwrap().to_owned());
                self.log.push(format!("{n}: webhook {id} in {channel}"));
                self.webhooks.push((id, token, channel.to_owned()));
                self.expect_in_channel("WEBHOOKS_UPDATE", channel, intents::GUILD_WEBHOOKS, channel);
            }
            _ => {
                if self.webhooks.is_empty() {
                    return;
                }
                let (id, token, channel) = self.webhooks[rng.random_range(0..self.webhooks.len())].clone();
                let url = format!("/webhooks/{id}/{token}?wait=true");
                let content = format!("hook says {n}");
                let m = self.ok(actor, "POST", &url, Some(json!({"content": content}))).await;
                let mid = m["id"].as_str().unwrap().to_owned();
                self.log.push(format!("{n}: webhook {id} posts {mid}"));
                self.expect_message_raw("MESSAGE_CREATE", &channel, &mid, None, &content, &[]);
            }
        }
    }
}

fn message(m: &Value, channel: &str, author: usize) -> Msg {
    Msg {
        channel: channel.to_owned(),
        id: m["id"].as_str().unwrap().to_owned(),
        author,
        content: m["content"].as_str().unwrap().to_owned(),
        mentions: m["mentions"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect(),
        pinned: m["pinned"].as_bool().unwrap_or(false),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_sessions_get_exactly_their_events_under_random_mutations() {
    let seed: u64 = std::env::var("GUILDHALL_FANOUT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_2024);
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let world = World::start(SESSIONS_BOTS as u32, SESSIONS_USERS as u32, 3).await;
    let accounts: Vec<Account> = world.bots.iter().chain(&world.users).cloned().collect();
    let profiles = [
        intents::ALL,
        intents::ALL & !intents::GUILD_MESSAGES,
        intents::ALL & !intents::GUILD_MEMBERS,
        intents::ALL & !intents::MESSAGE_CONTENT,
        intents::UNPRIVILEGED,
        intents::GUILDS | intents::GUILD_MESSAGES,
        intents::GUILDS | intents::GUILD_MESSAGE_REACTIONS | intents::GUILD_MESSAGE_TYPING | intents::GUILD_INVITES,
    ];
    let members: Vec<Member> = accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            // The owner and the admin bot lack MESSAGE_CONTENT so their own messages are the exception.
            let intents = match i {
                0 | 1 => intents::ALL & !intents::MESSAGE_CONTENT,
                _ => profiles[rng.random_range(0..profiles.len())],
            };
            Member { account: account.clone(), intents, roles: HashSet::new() }
        })
        .collect();
    let admin_user = SESSIONS_BOTS; // users[0]
    let mut oracle = Oracle {
        rest: world.rest.clone(),
        guild: world.guild.clone(),
        everyone: world.guild.clone(),
        members,
        actors: vec![0, 1, admin_user],
        channels: world.text.clone(),
        created_channels: Vec::new(),
        visible: HashMap::new(),
        overwrites: HashMap::new(),
        roles: Vec::new(),
        role_perms: HashMap::new(),
        messages: Vec::new(),
        reacted: HashSet::new(),
        invites: Vec::new(),
        webhooks: Vec::new(),
        expected: vec![Vec::new(); SESSIONS_BOTS + SESSIONS_USERS],
        log: Vec::new(),
        counter: 0,
    };
    oracle.role_perms.insert(oracle.everyone.clone(), 0);

    // Setup (not recorded): an administrator role for the actors, three plain roles spread over
    // the members.
    let roles_path = format!("/guilds/{}/roles", world.guild);
    let admin = oracle
        .ok(0, "POST", &roles_path, Some(json!({"name": "admin", "permissions": ADMINISTRATOR.to_string()})))
        .await;
    let admin = admin["id"].as_str().unwrap().to_owned();
    for who in [1, admin_user] {
        let path = format!("/guilds/{}/members/{}/roles/{admin}", world.guild, oracle.member(who).id);
        oracle.ok(0, "PUT", &path, None).await;
    }
    let everyone = oracle.ok(0, "GET", &roles_path, None).await;
    let everyone_perms = everyone.as_array().unwrap().iter().find(|r| r["id"] == world.guild).unwrap()["permissions"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    oracle.role_perms.insert(oracle.everyone.clone(), everyone_perms);
    for r in 0..3 {
        let perms = Oracle::random_perms(&mut rng) | VIEW_CHANNEL;
        let role = oracle
            .ok(0, "POST", &roles_path, Some(json!({"name": format!("base{r}"), "permissions": perms.to_string()})))
            .await;
        let id = role["id"].as_str().unwrap().to_owned();
        oracle.role_perms.insert(id.clone(), perms);
        for who in 2..oracle.members.len() {
            if who != admin_user && rng.random_bool(0.4) {
                let path = format!("/guilds/{}/members/{}/roles/{id}", world.guild, oracle.member(who).id);
                oracle.ok(0, "PUT", &path, None).await;
                oracle.members[who].roles.insert(id.clone());
            }
        }
        oracle.roles.push(id);
    }

    let mut sessions = Vec::new();
    for member in &oracle.members {
        sessions.push(world.login(&member.account, member.intents).await);
    }
    let readers: Vec<_> = sessions.into_iter().map(|client| tokio::spawn(record(client))).collect();
    oracle.ok(0, "POST", &roles_path, Some(json!({"name": START}))).await;
    oracle.refresh_all().await;
    let setup = started.elapsed();

    for _ in 0..MUTATIONS {
        oracle.mutate(&mut rng).await;
    }
    oracle.ok(0, "POST", &roles_path, Some(json!({"name": END}))).await;
    let mutated = started.elapsed();

    let mut failures = Vec::new();
    let (mut leaks, mut misses, mut total) = (0usize, 0usize, 0usize);
    for (user, reader) in readers.into_iter().enumerate() {
        let got: Vec<Key> = reader.await.unwrap().iter().map(|(_, f)| key_of(f)).collect();
        let expected = &oracle.expected[user];
        total += got.len();
        if &got != expected {
            let mut extra: Vec<_> = got.iter().filter(|k| !expected.contains(k)).cloned().collect();
            let mut missing: Vec<_> = expected.iter().filter(|k| !got.contains(k)).cloned().collect();
            leaks += extra.len();
            misses += missing.len();
            let first = got.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(got.len().min(expected.len()));
            extra.truncate(5);
            missing.truncate(5);
            failures.push(format!(
                "session {user} ({} {}, intents {:#x}): got {} expected {}; first difference at {first}: got {:?} expected {:?}; leaked {extra:?}; missed {missing:?}",
                if oracle.members[user].account.bot { "bot" } else { "user" },
                oracle.members[user].account.id,
                oracle.members[user].intents,
                got.len(),
                expected.len(),
                got.get(first),
                expected.get(first),
            ));
        }
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, _) in oracle.expected.iter().flatten() {
        *kinds.entry(name.as_str()).or_default() += 1;
    }
    let hidden = oracle.visible.values().filter(|v| !**v).count();
    eprintln!(
        "fan-out: seed {seed:#x}, {MUTATIONS} mutations, {total} dispatches checked ({kinds:?}); {hidden} of {} \
         (member, channel) pairs hidden at the end; setup {setup:?}, mutations {:?}, total {:?}",
        oracle.visible.len(),
        mutated - setup,
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "seed {seed:#x}: {} sessions wrong, {leaks} leaked and {misses} missed events\n{}\nlast mutations:\n{}",
        failures.len(),
        failures.join("\n"),
        oracle.log.iter().rev().take(40).rev().cloned().collect::<Vec<_>>().join("\n")
    );
}
