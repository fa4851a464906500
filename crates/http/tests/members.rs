//! Guild members: get, list, search, edit (nick, roles, voice flags, timeout, flags), edit
//! oneself, role grants, kicks, and the current user's member object.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_bus::Audience;
use guildhall_model::flags::{ApplicationFlags, Permissions};
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{RoleMarker, UserMarker};
use guildhall_model::user::User;
use guildhall_model::{Id, Timestamp};
use guildhall_store::UserRecord;
use serde_json::{Value, json};
use support::Harness;

/// Creates a role directly in the store (roles are another resource's routes).
async fn make_role(h: &Harness, name: &str, position: i32, permissions: Permissions) -> Id<RoleMarker> {
    let mut role = Role::everyone(h.guild_id(), permissions);
    role.id = h.core.next_id();
    role.name = name.to_owned();
    role.position = position;
    h.core.store().create_role(h.guild_id(), &role).await.unwrap();
    role.id
}

/// Sets a member's roles directly in the store.
async fn give_roles(h: &Harness, user: Id<UserMarker>, roles: &[Id<RoleMarker>]) {
    let mut member = h.core.store().member(h.guild_id(), user).await.unwrap().unwrap();
    member.roles = roles.to_vec();
    h.core.store().update_member(&member).await.unwrap();
}

/// A user who exists but is in no guild.
async fn outsider(h: &Harness) -> Id<UserMarker> {
    let id = h.core.next_id();
    let user = User::new(id, "outsider".to_owned());
    h.core.store().create_user(&UserRecord { user, email: None, password_hash: None }).await.unwrap();
    id
}

fn user_id(h: &Harness, n: usize) -> Id<UserMarker> {
    h.seed.users[n].id
}

fn member_path(h: &Harness, user: impl std::fmt::Display) -> String {
    format!("/api/v10/guilds/{}/members/{user}", h.guild_id())
}

fn ids_of(body: &Value) -> Vec<String> {
    body.as_array().unwrap().iter().map(|m| m["user"]["id"].as_str().unwrap().to_owned()).collect()
}

fn future(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    Timestamp::from_millis((i64::try_from(now).unwrap() + secs) * 1000).to_string()
}

#[tokio::test]
async fn get_member_has_discords_shape() {
    let h = Harness::new().await;
    let r = h.get(&member_path(&h, user_id(&h, 0)), &h.user(1)).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], user_id(&h, 0).to_string());
    assert_eq!(r.body["user"]["username"], "user1");
    assert!(r.body["user"].get("email").is_none());
    assert_eq!(r.body["roles"], json!([]));
    for key in ["nick", "avatar", "premium_since", "communication_disabled_until"] {
        assert!(r.body[key].is_null() && r.body.get(key).is_some(), "{key}: {}", r.body);
    }
    assert_eq!((r.body["deaf"].clone(), r.body["mute"].clone()), (json!(false), json!(false)));
    assert_eq!((r.body["flags"].clone(), r.body["pending"].clone()), (json!(0), json!(false)));
    assert_eq!(r.body["joined_at"].as_str().unwrap().len(), 32);

    // A real user outside the guild is an unknown member; an id nobody has is an unknown user.
    let stranger = outsider(&h).await;
    h.get(&member_path(&h, stranger), &h.user(0)).await.expect_error(404, 10007);
    h.get(&member_path(&h, "4242424242424242"), &h.user(0)).await.expect_error(404, 10013);
    h.get(&member_path(&h, "abc"), &h.user(0)).await.form_error_at(&["user_id"]);
    // Someone who is not in the guild cannot look.
    h.core.store().remove_member(h.guild_id(), user_id(&h, 2)).await.unwrap();
    h.get(&member_path(&h, user_id(&h, 0)), &h.user(2)).await.expect_error(404, 10004);
}

#[tokio::test]
async fn current_user_member() {
    let h = Harness::new().await;
    let path = format!("/api/v10/users/@me/guilds/{}/member", h.guild_id());
    let r = h.get(&path, &h.user(1)).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], user_id(&h, 1).to_string());
    assert!(r.body["joined_at"].is_string());
    h.get("/api/v10/users/@me/guilds/12345678901234567/member", &h.user(1)).await.expect_error(404, 10004);
    h.get("/api/v10/users/@me/guilds/nope/member", &h.user(1)).await.form_error_at(&["guild_id"]);
}

#[tokio::test]
async fn list_members_pages_by_user_id() {
    let h = Harness::new().await;
    let base = format!("/api/v10/guilds/{}/members", h.guild_id());
    let mut all_ids: Vec<String> =
        h.seed.bots.iter().chain(&h.seed.users).map(|a| a.id.to_string()).collect::<Vec<_>>();
    all_ids.sort_by_key(|id| id.parse::<u64>().unwrap());

    // Default limit is 1.
    let r = h.get(&base, &h.owner()).await;
    assert_eq!(ids_of(&r.expect(200).body), all_ids[..1]);
    // Libraries start with after=0.
    let r = h.get(&format!("{base}?limit=1000&after=0"), &h.owner()).await;
    assert_eq!(ids_of(&r.expect(200).body), all_ids);
    assert!(r.body[0]["user"]["username"].is_string());
    let r = h.get(&format!("{base}?limit=2&after={}", all_ids[1]), &h.user(0)).await;
    assert_eq!(ids_of(&r.expect(200).body), all_ids[2..4]);

    assert_eq!(h.get(&format!("{base}?limit=0"), &h.owner()).await.form_error_at(&["limit"]), "NUMBER_TYPE_MIN");
    assert_eq!(h.get(&format!("{base}?limit=1001"), &h.owner()).await.form_error_at(&["limit"]), "NUMBER_TYPE_MAX");
    h.get(&format!("{base}?limit=many"), &h.owner()).await.form_error_at(&["limit"]);
    h.get(&format!("{base}?after=x"), &h.owner()).await.form_error_at(&["after"]);
    h.get("/api/v10/guilds/12345678901234567/members", &h.owner()).await.expect_error(404, 10004);

    // A bot whose application lacks the GUILD_MEMBERS privileged intent gets 50001.
    let app_id = h.seed.bots[1].application_id.unwrap();
    let mut app = h.core.store().application(app_id).await.unwrap().unwrap();
    app.flags = ApplicationFlags::GATEWAY_GUILD_MEMBERS_LIMITED;
    h.core.store().update_application(&app).await.unwrap();
    h.get(&base, &h.bot(1)).await.expect(200);
    app.flags = ApplicationFlags::GATEWAY_PRESENCE;
    h.core.store().update_application(&app).await.unwrap();
    h.get(&base, &h.bot(1)).await.expect_error(403, 50001);
}

#[tokio::test]
async fn search_members_by_username_or_nick() {
    let h = Harness::new().await;
    let base = format!("/api/v10/guilds/{}/members/search", h.guild_id());
    let r = h.get(&format!("{base}?query=USER&limit=10"), &h.user(0)).await;
    assert_eq!(ids_of(&r.expect(200).body).len(), 3);
    // Default limit is 1.
    assert_eq!(h.get(&format!("{base}?query=user"), &h.user(0)).await.body.as_array().unwrap().len(), 1);
    let mut member = h.core.store().member(h.guild_id(), user_id(&h, 2)).await.unwrap().unwrap();
    member.nick = Some("Zebra".into());
    h.core.store().update_member(&member).await.unwrap();
    let r = h.get(&format!("{base}?query=zeb&limit=5"), &h.user(0)).await;
    assert_eq!(ids_of(&r.expect(200).body), vec![user_id(&h, 2).to_string()]);
    assert_eq!(r.body[0]["nick"], "Zebra");
    assert!(h.get(&format!("{base}?query=nobody&limit=5"), &h.user(0)).await.body.as_array().unwrap().is_empty());

    assert_eq!(h.get(&base, &h.user(0)).await.form_error_at(&["query"]), "BASE_TYPE_REQUIRED");
    assert_eq!(
        h.get(&format!("{base}?query=u&limit=1001"), &h.user(0)).await.form_error_at(&["limit"]),
        "NUMBER_TYPE_MAX"
    );
    h.get("/api/v10/guilds/12345678901234567/members/search?query=u", &h.user(0)).await.expect_error(404, 10004);
}

#[tokio::test]
async fn edit_nick_needs_manage_nicknames_and_hierarchy() {
    let mut h = Harness::new().await;
    let target = member_path(&h, user_id(&h, 0));
    h.drain_events();
    let r = h.patch(&target, &h.owner(), json!({"nick": "Nicky"})).await;
    assert_eq!(r.expect(200).str("nick"), "Nicky");
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["GUILD_MEMBER_UPDATE"]);
    let d = &events[0].data;
    assert_eq!(d["guild_id"], h.guild_id().to_string());
    assert_eq!(d["user"]["id"], user_id(&h, 0).to_string());
    assert_eq!(d["nick"], "Nicky");
    assert_eq!(d["pending"], false);
    assert!(d["roles"].is_array() && d["joined_at"].is_string());
    assert_eq!(events[0].intent, guildhall_model::flags::Intents::GUILD_MEMBERS);

    // "" and null both clear it.
    assert!(h.patch(&target, &h.owner(), json!({"nick": ""})).await.expect(200).body["nick"].is_null());
    h.patch(&target, &h.owner(), json!({"nick": "again"})).await.expect(200);
    assert!(h.patch(&target, &h.owner(), json!({"nick": null})).await.expect(200).body["nick"].is_null());
    // Nothing changed: no event.
    h.drain_events();
    h.patch(&target, &h.owner(), json!({})).await.expect(200);
    assert!(h.event_names().is_empty());

    assert_eq!(
        h.patch(&target, &h.owner(), json!({"nick": "x".repeat(33)})).await.form_error_at(&["nick"]),
        "BASE_TYPE_BAD_LENGTH"
    );
    assert_eq!(h.patch(&target, &h.owner(), json!({"nick": 5})).await.form_error_at(&["nick"]), "BASE_TYPE_STRING");
    // Without MANAGE_NICKNAMES.
    h.patch(&target, &h.user(1), json!({"nick": "nope"})).await.expect_error(403, 50013);

    // A moderator renames members below it, not above or level with it, and never the owner.
    let low = make_role(&h, "low", 1, Permissions::empty()).await;
    let mods = make_role(&h, "mods", 2, Permissions::MANAGE_NICKNAMES).await;
    let high = make_role(&h, "high", 3, Permissions::empty()).await;
    give_roles(&h, user_id(&h, 1), &[mods]).await;
    give_roles(&h, user_id(&h, 2), &[low]).await;
    h.patch(&member_path(&h, user_id(&h, 2)), &h.user(1), json!({"nick": "ok"})).await.expect(200);
    give_roles(&h, user_id(&h, 2), &[high]).await;
    h.patch(&member_path(&h, user_id(&h, 2)), &h.user(1), json!({"nick": "no"})).await.expect_error(403, 50013);
    give_roles(&h, user_id(&h, 2), &[mods]).await;
    h.patch(&member_path(&h, user_id(&h, 2)), &h.user(1), json!({"nick": "no"})).await.expect_error(403, 50013);
    h.patch(&member_path(&h, h.seed.bots[0].id), &h.user(1), json!({"nick": "no"})).await.expect_error(403, 50013);

    // Unknown member / user, bad path.
    let stranger = outsider(&h).await;
    h.patch(&member_path(&h, stranger), &h.owner(), json!({"nick": "x"})).await.expect_error(404, 10007);
    h.patch(&member_path(&h, "4242424242424242"), &h.owner(), json!({})).await.expect_error(404, 10013);
    h.patch(&member_path(&h, "abc"), &h.owner(), json!({})).await.form_error_at(&["user_id"]);
}

#[tokio::test]
async fn own_nick_through_me_and_through_own_id() {
    let mut h = Harness::new().await;
    let me = format!("/api/v10/guilds/{}/members/@me", h.guild_id());
    h.drain_events();
    let r = h.patch(&me, &h.user(0), json!({"nick": "Me"})).await;
    assert_eq!(r.expect(200).str("nick"), "Me");
    assert_eq!(r.body["user"]["id"], user_id(&h, 0).to_string());
    assert_eq!(h.event_names(), vec!["GUILD_MEMBER_UPDATE"]);
    // Own id: CHANGE_NICKNAME is enough, no hierarchy.
    h.patch(&member_path(&h, user_id(&h, 0)), &h.user(0), json!({"nick": "Self"})).await.expect(200);
    assert_eq!(h.patch(&me, &h.user(0), json!({"nick": ""})).await.expect(200).body["nick"], Value::Null);

    assert_eq!(
        h.patch(&me, &h.user(0), json!({"nick": "x".repeat(40)})).await.form_error_at(&["nick"]),
        "BASE_TYPE_BAD_LENGTH"
    );
    h.set_everyone(Permissions::DEFAULT_EVERYONE - Permissions::CHANGE_NICKNAME).await;
    h.patch(&me, &h.user(0), json!({"nick": "Me"})).await.expect_error(403, 50013);
    h.patch(&member_path(&h, user_id(&h, 0)), &h.user(0), json!({"nick": "Me"})).await.expect_error(403, 50013);
    h.patch("/api/v10/guilds/12345678901234567/members/@me", &h.user(0), json!({"nick": "x"}))
        .await
        .expect_error(404, 10004);
}

#[tokio::test]
async fn edit_roles_checks_roles_and_role_hierarchy() {
    let mut h = Harness::new().await;
    let a = make_role(&h, "a", 1, Permissions::empty()).await;
    let b = make_role(&h, "b", 2, Permissions::empty()).await;
    let target = member_path(&h, user_id(&h, 0));
    h.drain_events();
    let r = h.patch(&target, &h.owner(), json!({"roles": [a, b, a]})).await;
    let mut roles: Vec<String> =
        r.expect(200).body["roles"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    roles.sort();
    let mut want = vec![a.to_string(), b.to_string()];
    want.sort();
    assert_eq!(roles, want);
    assert_eq!(h.event_names(), vec!["GUILD_MEMBER_UPDATE"]);
    assert_eq!(h.patch(&target, &h.owner(), json!({"roles": null})).await.expect(200).body["roles"], json!([]));

    // Unknown roles and @everyone are 10011; a non-snowflake is 50035 at its index.
    h.patch(&target, &h.owner(), json!({"roles": ["4242424242424242"]})).await.expect_error(404, 10011);
    h.patch(&target, &h.owner(), json!({"roles": [h.guild_id()]})).await.expect_error(404, 10011);
    h.patch(&target, &h.owner(), json!({"roles": [a, "x"]})).await.form_error_at(&["roles", "1"]);
    h.patch(&target, &h.owner(), json!({"roles": "x"})).await.form_error_at(&["roles"]);

    // MANAGE_ROLES is needed.
    h.patch(&target, &h.user(1), json!({"roles": [a]})).await.expect_error(403, 50013);
    // A manager at position 2 grants and takes roles below 2, even to a member ranked above it.
    let manager = make_role(&h, "manager", 2, Permissions::MANAGE_ROLES).await;
    let top = make_role(&h, "top", 5, Permissions::empty()).await;
    give_roles(&h, user_id(&h, 1), &[manager]).await;
    give_roles(&h, user_id(&h, 0), &[top]).await;
    let r = h.patch(&target, &h.user(1), json!({"roles": [top, a]})).await;
    assert_eq!(r.expect(200).body["roles"].as_array().unwrap().len(), 2);
    // ... but not roles level with or above its highest, added or removed.
    h.patch(&target, &h.user(1), json!({"roles": [top, a, b]})).await.expect_error(403, 50013);
    h.patch(&target, &h.user(1), json!({"roles": [a]})).await.expect_error(403, 50013);
    // Managed roles are never assigned by hand, not even by the owner.
    let mut managed = Role::everyone(h.guild_id(), Permissions::empty());
    managed.id = h.core.next_id();
    managed.name = "bot role".into();
    managed.position = 1;
    managed.managed = true;
    h.core.store().create_role(h.guild_id(), &managed).await.unwrap();
    h.patch(&target, &h.owner(), json!({"roles": [managed.id]})).await.expect_error(403, 50013);
}

#[tokio::test]
async fn voice_fields_need_the_member_in_voice() {
    let mut h = Harness::new().await;
    let target = member_path(&h, user_id(&h, 0));
    // Nobody is in voice yet: permitted mutes are Discord's 40032, and nothing is stored.
    h.patch(&target, &h.owner(), json!({"mute": true, "deaf": true})).await.expect_error(400, 40032);
    let stored = h.core.store().member(h.guild_id(), h.seed.users[0].id).await.unwrap().unwrap();
    assert!(!stored.mute && !stored.deaf);
    h.patch(&target, &h.user(1), json!({"mute": false})).await.expect_error(403, 50013);
    h.patch(&target, &h.user(1), json!({"deaf": false})).await.expect_error(403, 50013);
    h.patch(&target, &h.owner(), json!({"mute": "loud"})).await.form_error_at(&["mute"]);

    // Nobody is in voice yet: a move is 40032, a disconnect changes nothing.
    let voice = h.seed.voice_channels[0].id;
    h.patch(&target, &h.owner(), json!({"channel_id": voice})).await.expect_error(400, 40032);
    h.drain_events();
    h.patch(&target, &h.owner(), json!({"channel_id": null})).await.expect(200);
    assert!(h.event_names().is_empty());
    h.patch(&target, &h.user(1), json!({"channel_id": null})).await.expect_error(403, 50013);
    h.patch(&target, &h.owner(), json!({"channel_id": "v"})).await.form_error_at(&["channel_id"]);
}

#[tokio::test]
async fn timeouts() {
    let mut h = Harness::new().await;
    let target = member_path(&h, user_id(&h, 0));
    let until = future(3600);
    h.drain_events();
    let r = h.patch(&target, &h.owner(), json!({"communication_disabled_until": until})).await;
    let got = Timestamp::parse(r.expect(200).body["communication_disabled_until"].as_str().unwrap()).unwrap();
    assert_eq!(got, Timestamp::parse(&until).unwrap());
    assert_eq!(h.event_names(), vec!["GUILD_MEMBER_UPDATE"]);
    // The timed-out member lost its permissions.
    h.patch(&format!("/api/v10/guilds/{}/members/@me", h.guild_id()), &h.user(0), json!({"nick": "x"}))
        .await
        .expect_error(403, 50013);
    let r = h.patch(&target, &h.owner(), json!({"communication_disabled_until": null})).await;
    assert!(r.expect(200).body["communication_disabled_until"].is_null());

    assert_eq!(
        h.patch(&target, &h.owner(), json!({"communication_disabled_until": future(29 * 86_400)}))
            .await
            .form_error_at(&["communication_disabled_until"]),
        "INVALID_COMMUNICATION_DISABLED_TIMESTAMP"
    );
    h.patch(&target, &h.owner(), json!({"communication_disabled_until": "tomorrow"}))
        .await
        .form_error_at(&["communication_disabled_until"]);
    // MODERATE_MEMBERS is needed.
    h.patch(&target, &h.user(1), json!({"communication_disabled_until": until})).await.expect_error(403, 50013);
    // Administrators and the owner cannot be timed out.
    let admin = make_role(&h, "admin", 1, Permissions::ADMINISTRATOR).await;
    give_roles(&h, user_id(&h, 2), &[admin]).await;
    h.patch(&member_path(&h, user_id(&h, 2)), &h.owner(), json!({"communication_disabled_until": until}))
        .await
        .expect_error(403, 50013);
    h.patch(&member_path(&h, h.seed.bots[0].id), &h.user(2), json!({"communication_disabled_until": until}))
        .await
        .expect_error(403, 50013);
    // A moderator cannot time out a member ranked above it.
    let moderator = make_role(&h, "moderator", 2, Permissions::MODERATE_MEMBERS).await;
    let senior = make_role(&h, "senior", 3, Permissions::empty()).await;
    give_roles(&h, user_id(&h, 1), &[moderator]).await;
    give_roles(&h, user_id(&h, 0), &[senior]).await;
    h.patch(&target, &h.user(1), json!({"communication_disabled_until": until})).await.expect_error(403, 50013);
    give_roles(&h, user_id(&h, 0), &[]).await;
    h.patch(&target, &h.user(1), json!({"communication_disabled_until": until})).await.expect(200);
}

#[tokio::test]
async fn member_flags_only_bypasses_verification() {
    let h = Harness::new().await;
    let target = member_path(&h, user_id(&h, 0));
    assert_eq!(h.patch(&target, &h.owner(), json!({"flags": 4 | 1})).await.expect(200).body["flags"], 4);
    assert_eq!(h.patch(&target, &h.owner(), json!({"flags": 0})).await.expect(200).body["flags"], 0);
    h.patch(&target, &h.user(1), json!({"flags": 4})).await.expect_error(403, 50013);
    h.patch(&target, &h.owner(), json!({"flags": "x"})).await.form_error_at(&["flags"]);
}

#[tokio::test]
async fn add_and_remove_one_role() {
    let mut h = Harness::new().await;
    let role = make_role(&h, "r", 1, Permissions::empty()).await;
    let path = format!("{}/roles/{role}", member_path(&h, user_id(&h, 0)));
    h.drain_events();
    h.put(&path, &h.owner(), None).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["GUILD_MEMBER_UPDATE"]);
    assert_eq!(events[0].data["roles"], json!([role.to_string()]));
    assert_eq!(h.core.store().member(h.guild_id(), user_id(&h, 0)).await.unwrap().unwrap().roles, vec![role]);
    // Again: nothing changes, no event.
    h.put(&path, &h.owner(), None).await.expect(204);
    assert!(h.event_names().is_empty());
    h.delete(&path, &h.owner()).await.expect(204);
    assert_eq!(h.event_names(), vec!["GUILD_MEMBER_UPDATE"]);
    assert!(h.core.store().member(h.guild_id(), user_id(&h, 0)).await.unwrap().unwrap().roles.is_empty());
    h.delete(&path, &h.owner()).await.expect(204);
    assert!(h.event_names().is_empty());

    // Permission and hierarchy.
    h.put(&path, &h.user(1), None).await.expect_error(403, 50013);
    h.delete(&path, &h.user(1)).await.expect_error(403, 50013);
    let manager = make_role(&h, "manager", 1, Permissions::MANAGE_ROLES).await;
    give_roles(&h, user_id(&h, 1), &[manager]).await;
    // `r` (position 1, older) ranks above `manager` (position 1, newer).
    h.put(&path, &h.user(1), None).await.expect_error(403, 50013);

    // Unknown role (and @everyone), unknown member, bad ids.
    let base = member_path(&h, user_id(&h, 0));
    h.put(&format!("{base}/roles/4242424242424242"), &h.owner(), None).await.expect_error(404, 10011);
    h.put(&format!("{base}/roles/{}", h.guild_id()), &h.owner(), None).await.expect_error(404, 10011);
    h.delete(&format!("{base}/roles/4242424242424242"), &h.owner()).await.expect_error(404, 10011);
    let stranger = outsider(&h).await;
    h.put(&format!("{}/roles/{role}", member_path(&h, stranger)), &h.owner(), None).await.expect_error(404, 10007);
    h.delete(&format!("{}/roles/{role}", member_path(&h, stranger)), &h.owner()).await.expect_error(404, 10007);
    h.put(&format!("{base}/roles/abc"), &h.owner(), None).await.form_error_at(&["role_id"]);
    h.delete(&format!("{base}/roles/abc"), &h.owner()).await.form_error_at(&["role_id"]);
}

#[tokio::test]
async fn kick_removes_the_member() {
    let mut h = Harness::new().await;
    let target = member_path(&h, user_id(&h, 0));
    h.drain_events();
    h.delete(&target, &h.owner()).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), vec!["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]);
    assert_eq!(events[0].data["guild_id"], h.guild_id().to_string());
    assert_eq!(events[0].data["user"]["id"], user_id(&h, 0).to_string());
    assert_eq!(*events[1].data, json!({"id": h.guild_id().to_string()}));
    assert_eq!(events[1].audience, Audience::Users(vec![user_id(&h, 0)]));
    h.get(&target, &h.owner()).await.expect_error(404, 10007);
    h.delete(&target, &h.owner()).await.expect_error(404, 10007);
    h.get("/api/v10/users/@me/guilds", &h.user(0)).await.expect(200);

    // KICK_MEMBERS, the hierarchy, and never the owner.
    let victim = member_path(&h, user_id(&h, 1));
    h.delete(&victim, &h.user(2)).await.expect_error(403, 50013);
    let kicker = make_role(&h, "kicker", 1, Permissions::KICK_MEMBERS).await;
    let guard = make_role(&h, "guard", 2, Permissions::empty()).await;
    give_roles(&h, user_id(&h, 2), &[kicker]).await;
    give_roles(&h, user_id(&h, 1), &[guard]).await;
    h.delete(&victim, &h.user(2)).await.expect_error(403, 50013);
    h.delete(&member_path(&h, h.seed.bots[0].id), &h.user(2)).await.expect_error(403, 50013);
    let admin = make_role(&h, "admin", 3, Permissions::ADMINISTRATOR).await;
    give_roles(&h, user_id(&h, 2), &[admin]).await;
    h.delete(&member_path(&h, h.seed.bots[0].id), &h.user(2)).await.expect_error(403, 50013);
    h.delete(&victim, &h.user(2)).await.expect(204);

    h.delete(&member_path(&h, "4242424242424242"), &h.owner()).await.expect_error(404, 10013);
    h.delete(&member_path(&h, "abc"), &h.owner()).await.form_error_at(&["user_id"]);
}
