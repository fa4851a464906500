//! Every object the REST API returns, and the payloads of the events it publishes, must
//! deserialize into twilight-model's types: a strict third-party model of Discord's API
//! (required keys, non-zero ids, 32-hex image hashes, exact enum values; protocol.md §0.10).
//! Libraries the project does not test directly parse the same objects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::{Harness, Resp};
use twilight_model::channel::{Channel, Message, Webhook};
use twilight_model::gateway::connection_info::BotConnectionInfo;
use twilight_model::guild::invite::Invite;
use twilight_model::guild::{Ban, Guild, Member, Role};
use twilight_model::oauth::Application;
use twilight_model::user::{CurrentUser, CurrentUserGuild, User};
use twilight_model::voice::VoiceRegion;

#[track_caller]
fn parse<T: DeserializeOwned>(what: &str, value: &Value) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{what} does not parse as {}: {e}\n{value:#}", std::any::type_name::<T>()),
    }
}

#[track_caller]
fn ok<T: DeserializeOwned>(what: &str, r: &Resp) -> T {
    assert!((200..300).contains(&r.status), "{what}: {} {}", r.status, r.body);
    parse(what, &r.body)
}

#[tokio::test]
async fn rest_objects_parse_strictly() {
    let mut h = Harness::new().await;
    let owner = h.owner();
    let gid = h.guild_id();
    let general = h.general();

    let _: CurrentUser = ok("GET /users/@me (bot)", &h.get("/api/v10/users/@me", &owner).await);
    let _: CurrentUser = ok("GET /users/@me (user)", &h.get("/api/v10/users/@me", &h.user(0)).await);
    let _: User = ok("GET /users/{id}", &h.get(&format!("/api/v10/users/{}", h.seed.users[0].id), &owner).await);
    let _: Vec<CurrentUserGuild> = ok("GET /users/@me/guilds", &h.get("/api/v10/users/@me/guilds", &owner).await);
    let _: Application = ok("GET /applications/@me", &h.get("/api/v10/applications/@me", &owner).await);
    let _: BotConnectionInfo = ok("GET /gateway/bot", &h.get("/api/v10/gateway/bot", &owner).await);
    let _: Vec<VoiceRegion> = ok("GET /voice/regions", &h.get("/api/v10/voice/regions", &owner).await);

    let _: Guild = ok("GET /guilds/{id}", &h.get(&format!("/api/v10/guilds/{gid}?with_counts=true"), &owner).await);
    let created = h.post("/api/v10/guilds", &h.user(0), json!({"name": "Parsed"})).await;
    let _: Guild = ok("POST /guilds", &created);
    let patched = h.patch(&format!("/api/v10/guilds/{gid}"), &owner, json!({"name": "Renamed"})).await;
    let _: Guild = ok("PATCH /guilds/{id}", &patched);

    let _: Vec<Channel> = ok("GET guild channels", &h.get(&format!("/api/v10/guilds/{gid}/channels"), &owner).await);
    for (kind, name) in [(0, "text"), (2, "voice"), (4, "category"), (5, "news"), (13, "stage"), (15, "forum")] {
        let r = h.post(&format!("/api/v10/guilds/{gid}/channels"), &owner, json!({"name": name, "type": kind})).await;
        let _: Channel = ok(&format!("POST channel type {kind}"), &r);
    }
    let channel = h.post(&format!("/api/v10/guilds/{gid}/channels"), &owner, json!({"name": "scratch"})).await;
    let cid = channel.str("id");
    let _: Channel =
        ok("PATCH channel", &h.patch(&format!("/api/v10/channels/{cid}"), &owner, json!({"topic": "t"})).await);
    let _: Channel = ok("DELETE channel", &h.delete(&format!("/api/v10/channels/{cid}"), &owner).await);
    let dm = h.post("/api/v10/users/@me/channels", &h.user(0), json!({"recipient_id": h.seed.users[1].id})).await;
    let _: Channel = ok("POST DM", &dm);

    let _: Vec<Role> = ok("GET roles", &h.get(&format!("/api/v10/guilds/{gid}/roles"), &owner).await);
    let role = h.post(&format!("/api/v10/guilds/{gid}/roles"), &owner, json!({"name": "r", "color": 255})).await;
    let _: Role = ok("POST role", &role);

    let _: Member =
        ok("GET member", &h.get(&format!("/api/v10/guilds/{gid}/members/{}", h.seed.users[0].id), &owner).await);
    let _: Vec<Member> = ok("GET members", &h.get(&format!("/api/v10/guilds/{gid}/members?limit=1000"), &owner).await);
    let _: Vec<Member> =
        ok("search members", &h.get(&format!("/api/v10/guilds/{gid}/members/search?query=us&limit=10"), &owner).await);
    let nick =
        h.patch(&format!("/api/v10/guilds/{gid}/members/{}", h.seed.users[0].id), &owner, json!({"nick": "n"})).await;
    let _: Member = ok("PATCH member", &nick);

    let message = h
        .post(
            &format!("/api/v10/channels/{general}/messages"),
            &owner,
            json!({"content": "hi <@{}>", "nonce": "123", "embeds": [{"title": "t", "description": "d", "fields": [{"name": "a", "value": "b"}], "color": 1}]})
                .to_string()
                .replace("{}", &h.seed.users[0].id.to_string())
                .parse::<Value>()
                .unwrap(),
        )
        .await;
    let _: Message = ok("POST message", &message);
    let mid = message.str("id");
    let reply = h
        .post(
            &format!("/api/v10/channels/{general}/messages"),
            &h.user(0),
            json!({"content": "re", "message_reference": {"message_id": mid}}),
        )
        .await;
    let parsed: Message = ok("POST reply", &reply);
    assert!(parsed.referenced_message.is_some());
    let _: Message = ok(
        "PATCH message",
        &h.patch(&format!("/api/v10/channels/{general}/messages/{mid}"), &owner, json!({"content": "e"})).await,
    );
    h.put(&format!("/api/v10/channels/{general}/messages/{mid}/reactions/%F0%9F%91%8D/@me"), &owner, None)
        .await
        .expect(204);
    h.put(&format!("/api/v10/channels/{general}/pins/{mid}"), &owner, None).await.expect(204);
    let _: Message = ok("GET message", &h.get(&format!("/api/v10/channels/{general}/messages/{mid}"), &owner).await);
    let _: Vec<Message> =
        ok("GET messages", &h.get(&format!("/api/v10/channels/{general}/messages?limit=100"), &owner).await);
    let _: Vec<Message> = ok("GET old pins", &h.get(&format!("/api/v10/channels/{general}/pins"), &owner).await);
    let _: Vec<User> = ok(
        "GET reaction users",
        &h.get(&format!("/api/v10/channels/{general}/messages/{mid}/reactions/%F0%9F%91%8D"), &owner).await,
    );

    let invite = h.post(&format!("/api/v10/channels/{general}/invites"), &owner, json!({"max_age": 3600})).await;
    let _: Invite = ok("POST invite", &invite);
    let code = invite.str("code");
    let _: Invite = ok("GET invite", &h.get(&format!("/api/v10/invites/{code}?with_counts=true"), &h.user(0)).await);
    let _: Vec<Invite> = ok("GET guild invites", &h.get(&format!("/api/v10/guilds/{gid}/invites"), &owner).await);

    h.put(&format!("/api/v10/guilds/{gid}/bans/{}", h.seed.users[2].id), &owner, Some(json!({}))).await.expect(204);
    let _: Vec<Ban> = ok("GET bans", &h.get(&format!("/api/v10/guilds/{gid}/bans"), &owner).await);
    let _: Ban = ok("GET ban", &h.get(&format!("/api/v10/guilds/{gid}/bans/{}", h.seed.users[2].id), &owner).await);

    let hook = h.post(&format!("/api/v10/channels/{general}/webhooks"), &owner, json!({"name": "hook"})).await;
    let _: Webhook = ok("POST webhook", &hook);
    let (hid, token) = (hook.str("id"), hook.str("token"));
    let _: Webhook =
        ok("GET webhook by token", &h.call("GET", &format!("/api/v10/webhooks/{hid}/{token}"), None, None).await);
    let executed = h
        .call(
            "POST",
            &format!("/api/v10/webhooks/{hid}/{token}?wait=true"),
            None,
            Some(json!({"content": "from a hook"})),
        )
        .await;
    let _: Message = ok("execute webhook", &executed);
    let hook_message = format!("/api/v10/webhooks/{hid}/{token}/messages/{}", executed.str("id"));
    let _: Message = ok("GET webhook message", &h.call("GET", &hook_message, None, None).await);
    let row = json!([{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Go", "custom_id": "go"},
        {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"}
    ]}, {"type": 1, "components": [
        {"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}], "min_values": 1, "max_values": 1}
    ]}]);
    let edited = h.call("PATCH", &hook_message, None, Some(json!({"content": "edited", "components": row}))).await;
    let parsed: Message = ok("PATCH webhook message", &edited);
    assert_eq!(parsed.components.len(), 2);

    // Components and forwards.
    let with_components = h
        .post(&format!("/api/v10/channels/{general}/messages"), &owner, json!({"content": "c", "components": row}))
        .await;
    let parsed: Message = ok("POST message with components", &with_components);
    assert_eq!(parsed.components.len(), 2);
    let other = h.seed.text_channels[1].id;
    let forward =
        json!({"message_reference": {"type": 1, "channel_id": general, "message_id": with_components.str("id")}});
    let forwarded = h.post(&format!("/api/v10/channels/{other}/messages"), &h.user(0), forward).await;
    let parsed: Message = ok("POST forward", &forwarded);
    assert_eq!(parsed.message_snapshots.len(), 1);
    assert_eq!(
        parsed.reference.as_ref().map(|r| r.kind),
        Some(twilight_model::channel::message::MessageReferenceType::Forward)
    );
    // twilight 0.16 knows no HAS_SNAPSHOT (1 << 14) and drops the bit; the flags still parse.
    assert_eq!(forwarded.body["flags"], 1 << 14);

    // Attachments, uploaded the way libraries do (payload_json and files[n]).
    let mut image = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x08".to_vec();
    image.extend_from_slice(b"\x08\x06\0\0\0");
    let form = support::Form::new()
        .json(&json!({"content": "files", "attachments": [{"id": 0, "description": "an image"}, {"id": 1}]}))
        .file("files[0]", "image.png", Some("application/octet-stream"), &image)
        .file("files[1]", "notes.txt", None, b"notes");
    let uploaded = h.send_form("POST", &format!("/api/v10/channels/{general}/messages"), Some(&owner), form).await;
    let parsed: Message = ok("POST message with files", &uploaded);
    assert_eq!(parsed.attachments.len(), 2);
    assert_eq!((parsed.attachments[0].width, parsed.attachments[0].height), (Some(16), Some(8)));
    assert_eq!(parsed.attachments[1].content_type.as_deref(), Some("text/plain; charset=utf-8"));

    // Event payloads are what the gateway will send: the same strictness applies.
    let mut checked = 0;
    for event in h.drain_events() {
        let data = event.data.as_ref();
        match event.name {
            "GUILD_CREATE" | "GUILD_UPDATE" => {
                let _: Guild = parse(event.name, data);
            }
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
                let _: Message = parse(event.name, data);
            }
            "CHANNEL_CREATE" | "CHANNEL_UPDATE" | "CHANNEL_DELETE" => {
                let _: Channel = parse(event.name, data);
            }
            "GUILD_MEMBER_UPDATE" => {
                let _: twilight_model::gateway::payload::incoming::MemberUpdate = parse(event.name, data);
            }
            "GUILD_ROLE_CREATE" => {
                let _: twilight_model::gateway::payload::incoming::RoleCreate = parse(event.name, data);
            }
            "MESSAGE_REACTION_ADD" => {
                let _: twilight_model::gateway::payload::incoming::ReactionAdd = parse(event.name, data);
            }
            "INVITE_CREATE" => {
                let _: twilight_model::gateway::payload::incoming::InviteCreate = parse(event.name, data);
            }
            "GUILD_BAN_ADD" => {
                let _: twilight_model::gateway::payload::incoming::BanAdd = parse(event.name, data);
            }
            "CHANNEL_PINS_UPDATE" => {
                let _: twilight_model::gateway::payload::incoming::ChannelPinsUpdate = parse(event.name, data);
            }
            "WEBHOOKS_UPDATE" => {
                let _: twilight_model::gateway::payload::incoming::WebhooksUpdate = parse(event.name, data);
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} events checked");
}
