//! Roles: list, read, create, reorder, modify, delete, with Discord's hierarchy rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use guildhall_model::Id;
use guildhall_model::flags::Permissions;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::RoleMarker;
use serde_json::{Value, json};
use support::Harness;

fn roles_path(h: &Harness) -> String {
    format!("/api/v10/guilds/{}/roles", h.guild_id())
}

/// Creates a role as the owner and returns its id.
async fn make_role(h: &Harness, name: &str, permissions: Permissions) -> String {
    let r = h.post(&roles_path(h), &h.owner(), json!({"name": name, "permissions": permissions})).await;
    r.expect(200).str("id")
}

/// Gives user `n` the role (test setup through the store).
async fn give_role(h: &Harness, n: usize, role: &str) {
    let store = h.core.store();
    let mut member = store.member(h.guild_id(), h.seed.users[n].id).await.unwrap().unwrap();
    member.roles.push(role.parse::<Id<RoleMarker>>().unwrap());
    store.update_member(&member).await.unwrap();
}

#[tokio::test]
async fn list_and_get_roles() {
    let h = Harness::new().await;
    let r = h.get(&roles_path(&h), &h.user(0)).await;
    let roles = r.expect(200).body.as_array().unwrap().clone();
    assert_eq!(roles.len(), 1);
    for key in [
        "id",
        "name",
        "color",
        "colors",
        "hoist",
        "icon",
        "unicode_emoji",
        "position",
        "permissions",
        "managed",
        "mentionable",
        "flags",
    ] {
        assert!(roles[0].get(key).is_some(), "role lacks {key}");
    }
    let everyone = format!("{}/{}", roles_path(&h), h.guild_id());
    assert_eq!(h.get(&everyone, &h.user(0)).await.expect(200).str("name"), "@everyone");
    h.get(&format!("{}/123456789012345678", roles_path(&h)), &h.user(0)).await.expect_error(404, 10011);
    h.get(&format!("{}/abc", roles_path(&h)), &h.user(0)).await.form_error_at(&["role_id"]);
    h.get("/api/v10/guilds/123456789012345678/roles", &h.user(0)).await.expect_error(404, 10004);
}

#[tokio::test]
async fn role_member_counts() {
    let h = Harness::new().await;
    let a = make_role(&h, "a", Permissions::empty()).await;
    let b = make_role(&h, "b", Permissions::empty()).await;
    give_role(&h, 0, &a).await;
    give_role(&h, 1, &a).await;
    let path = format!("{}/member-counts", roles_path(&h));
    let r = h.get(&path, &h.user(2)).await;
    assert_eq!(r.expect(200).body, json!({ a.clone(): 2, b.clone(): 0 }), "@everyone is not listed");
    h.get("/api/v10/guilds/123456789012345678/roles/member-counts", &h.user(0)).await.expect_error(404, 10004);
}

#[tokio::test]
async fn create_roles() {
    let mut h = Harness::new().await;
    h.drain_events();
    let body = json!({"name": "mods", "permissions": "8", "color": 0xff0000, "hoist": true, "mentionable": true});
    let r = h.post(&roles_path(&h), &h.owner(), body).await;
    r.expect(200);
    assert_eq!((r.str("name"), r.str("permissions")), ("mods".into(), "8".into()));
    assert_eq!(
        (r.body["color"].as_u64(), r.body["colors"]["primary_color"].as_u64()),
        (Some(0xff0000), Some(0xff0000))
    );
    assert_eq!((r.body["position"].as_u64(), r.body["hoist"].as_bool()), (Some(1), Some(true)));
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_ROLE_CREATE"]);
    assert_eq!(events[0].data["guild_id"], h.guild_id().to_string());
    assert_eq!(events[0].data["role"]["id"], r.body["id"]);

    // Defaults: "new role" with @everyone's permissions; it ranks below older roles.
    let d = h.post(&roles_path(&h), &h.owner(), json!({})).await;
    assert_eq!((d.expect(200).str("name"), d.str("permissions")), ("new role".into(), "2248473465835073".into()));
    let list = h.get(&roles_path(&h), &h.owner()).await.body;
    let order: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(order, ["@everyone", "new role", "mods"]);
    let r = h.post(&roles_path(&h), &h.owner(), json!({"colors": {"primary_color": 1, "secondary_color": 2}})).await;
    assert_eq!((r.body["color"].as_u64(), r.body["colors"]["secondary_color"].as_u64()), (Some(1), Some(2)));

    let path = roles_path(&h);
    let owner = h.owner();
    let bad = |body: Value| h.post(&path, &owner, body);
    assert_eq!(bad(json!({"name": "x".repeat(101)})).await.form_error_at(&["name"]), "BASE_TYPE_MAX_LENGTH");
    assert_eq!(bad(json!({"color": 0x1000000})).await.form_error_at(&["color"]), "NUMBER_TYPE_MAX");
    assert_eq!(
        bad(json!({"colors": {"primary_color": 0x1000000}})).await.form_error_at(&["colors", "primary_color"]),
        "NUMBER_TYPE_MAX"
    );
    assert_eq!(bad(json!({"hoist": "yes"})).await.form_error_at(&["hoist"]), "BASE_TYPE_BOOLEAN");

    h.post(&path, &h.user(0), json!({"name": "mine"})).await.expect_error(403, 50013);
    h.set_everyone(Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_ROLES).await;
    h.post(&path, &h.user(0), json!({"name": "mine"})).await.expect(200);
    let ban = Permissions::BAN_MEMBERS.bits().to_string();
    h.post(&path, &h.user(0), json!({"permissions": ban})).await.expect_error(403, 50013);
    h.post("/api/v10/guilds/123456789012345678/roles", &owner, json!({})).await.expect_error(404, 10004);
}

#[tokio::test]
async fn at_most_two_hundred_fifty_roles() {
    let h = Harness::new().await;
    for n in 1..250 {
        let mut role = Role::everyone(h.guild_id(), Permissions::empty());
        role.id = h.core.next_id();
        role.name = format!("r{n}");
        role.position = 1;
        h.core.store().create_role(h.guild_id(), &role).await.unwrap();
    }
    h.post(&roles_path(&h), &h.owner(), json!({})).await.expect_error(400, 30005);
}

#[tokio::test]
async fn modify_roles_within_the_hierarchy() {
    let mut h = Harness::new().await;
    let low = make_role(&h, "low", Permissions::empty()).await;
    let helper = make_role(&h, "helper", Permissions::MANAGE_ROLES).await;
    let top = make_role(&h, "top", Permissions::empty()).await;
    // Positions: top > helper > low (all at 1; older ids rank higher), so reorder explicitly.
    let order = json!([{"id": low, "position": 1}, {"id": helper, "position": 2}, {"id": top, "position": 3}]);
    h.patch(&roles_path(&h), &h.owner(), order).await.expect(200);
    give_role(&h, 0, &helper).await;
    h.drain_events();

    let r = h.patch(&format!("{}/{low}", roles_path(&h)), &h.user(0), json!({"name": "lower", "color": 7})).await;
    assert_eq!((r.expect(200).str("name"), r.body["color"].as_u64()), ("lower".into(), Some(7)));
    assert_eq!(h.event_names(), ["GUILD_ROLE_UPDATE"]);
    h.patch(&format!("{}/{top}", roles_path(&h)), &h.user(0), json!({"name": "mine"})).await.expect_error(403, 50013);
    h.patch(&format!("{}/{helper}", roles_path(&h)), &h.user(0), json!({"name": "mine"}))
        .await
        .expect_error(403, 50013);
    let ban = Permissions::BAN_MEMBERS.bits().to_string();
    let path = format!("{}/{low}", roles_path(&h));
    h.patch(&path, &h.user(0), json!({"permissions": ban})).await.expect_error(403, 50013);
    // @everyone: its permissions change, its name does not.
    let everyone = format!("{}/{}", roles_path(&h), h.guild_id());
    let r = h.patch(&everyone, &h.user(0), json!({"name": "all", "permissions": "1024"})).await;
    assert_eq!((r.expect(200).str("name"), r.str("permissions")), ("@everyone".into(), "1024".into()));

    assert_eq!(
        h.patch(&path, &h.owner(), json!({"name": "x".repeat(101)})).await.form_error_at(&["name"]),
        "BASE_TYPE_MAX_LENGTH"
    );
    h.patch(&path, &h.user(1), json!({"name": "x"})).await.expect_error(403, 50013);
    h.patch(&format!("{}/123456789012345678", roles_path(&h)), &h.owner(), json!({})).await.expect_error(404, 10011);
}

#[tokio::test]
async fn reorder_roles() {
    let mut h = Harness::new().await;
    let a = make_role(&h, "a", Permissions::empty()).await;
    let b = make_role(&h, "b", Permissions::MANAGE_ROLES).await;
    h.drain_events();
    let r = h.patch(&roles_path(&h), &h.owner(), json!([{"id": a, "position": 2}, {"id": b, "position": 3}])).await;
    let names: Vec<&str> = r.expect(200).body.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["@everyone", "a", "b"]);
    assert_eq!(h.event_names(), ["GUILD_ROLE_UPDATE", "GUILD_ROLE_UPDATE"]);
    // Entries that do not move are fine, even for roles above the actor.
    give_role(&h, 0, &b).await;
    let r = h.patch(&roles_path(&h), &h.user(0), json!([{"id": b, "position": 3}, {"id": a, "position": 1}])).await;
    r.expect(200);
    assert_eq!(h.event_names(), ["GUILD_ROLE_UPDATE"]);
    h.patch(&roles_path(&h), &h.user(0), json!([{"id": a, "position": 5}])).await.expect_error(403, 50013);
    h.patch(&roles_path(&h), &h.user(0), json!([{"id": b, "position": 1}])).await.expect_error(403, 50013);
    h.patch(&roles_path(&h), &h.owner(), json!([{"id": h.guild_id(), "position": 4}])).await.expect_error(403, 50013);
    let r = h.patch(&roles_path(&h), &h.owner(), json!([{"id": "123456789012345678", "position": 1}])).await;
    assert_eq!(r.form_error_at(&["0", "id"]), "UNKNOWN_ROLE");
    let r = h.patch(&roles_path(&h), &h.owner(), json!([{"id": a, "position": -2}])).await;
    assert_eq!(r.form_error_at(&["0", "position"]), "NUMBER_TYPE_MIN");
    h.patch(&roles_path(&h), &h.user(1), json!([{"id": a, "position": 1}])).await.expect_error(403, 50013);
    let unknown_guild = "/api/v10/guilds/123456789012345678/roles";
    h.patch(unknown_guild, &h.owner(), json!([{"id": a, "position": 1}])).await.expect_error(404, 10004);
}

#[tokio::test]
async fn delete_roles() {
    let mut h = Harness::new().await;
    let low = make_role(&h, "low", Permissions::empty()).await;
    let helper = make_role(&h, "helper", Permissions::MANAGE_ROLES).await;
    h.patch(&roles_path(&h), &h.owner(), json!([{"id": helper, "position": 2}])).await.expect(200);
    give_role(&h, 0, &helper).await;
    give_role(&h, 1, &low).await;
    h.drain_events();

    h.delete(&format!("{}/{}", roles_path(&h), h.guild_id()), &h.owner()).await.expect_error(400, 50028);
    h.delete(&format!("{}/{helper}", roles_path(&h)), &h.user(0)).await.expect_error(403, 50013);
    h.delete(&format!("{}/{low}", roles_path(&h)), &h.user(1)).await.expect_error(403, 50013);
    h.delete(&format!("{}/{low}", roles_path(&h)), &h.user(0)).await.expect(204);
    let events = h.drain_events();
    assert_eq!(events.iter().map(|e| e.name).collect::<Vec<_>>(), ["GUILD_ROLE_DELETE"]);
    assert_eq!(*events[0].data, json!({"guild_id": h.guild_id().to_string(), "role_id": low}));
    let member = h.core.store().member(h.guild_id(), h.seed.users[1].id).await.unwrap().unwrap();
    assert!(member.roles.is_empty());
    h.delete(&format!("{}/{low}", roles_path(&h)), &h.owner()).await.expect_error(404, 10011);
    h.delete(&format!("{}/low", roles_path(&h)), &h.owner()).await.form_error_at(&["role_id"]);
}
