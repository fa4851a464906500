//! Conformance cases: Users, tokens and applications.

use super::*;

pub async fn users_round_trip(store: &dyn Store) {
    let uid = id();
    let mut u = User::new(uid, "alice");
    u.global_name = Some(Nullable::Value("Alice".into()));
    let rec = UserRecord {
        user: u.clone(),
        email: Some("alice@example.com".into()),
        password_hash: Some("$argon2id$x".into()),
    };
    store.create_user(&rec).await.unwrap();
    assert_eq!(store.user(uid).await.unwrap(), Some(rec.clone()));
    assert_eq!(store.user(id()).await.unwrap(), None);

    let mut changed = rec.clone();
    changed.user.username = "alice2".into();
    changed.user.avatar = Some("0123456789abcdef0123456789abcdef".into());
    store.update_user(&changed).await.unwrap();
    assert_eq!(store.user(uid).await.unwrap(), Some(changed));

    let other = user(store, "bob").await;
    let mut got: Vec<_> = store.users(&[uid, other, id()]).await.unwrap().into_iter().map(|r| r.user.id).collect();
    got.sort();
    let mut want = vec![uid, other];
    want.sort();
    assert_eq!(got, want);
    assert!(store.users(&[]).await.unwrap().is_empty());

    let ghost = UserRecord { user: User::new(id(), "ghost"), email: None, password_hash: None };
    assert!(matches!(store.update_user(&ghost).await, Err(StoreError::NotFound(_))));
}

pub async fn user_conflicts_and_email_lookup(store: &dyn Store) {
    let uid = id();
    let rec =
        UserRecord { user: User::new(uid, "carol"), email: Some("Carol@Example.com".into()), password_hash: None };
    store.create_user(&rec).await.unwrap();
    assert!(matches!(store.create_user(&rec).await, Err(StoreError::Conflict(_))));
    let same_email =
        UserRecord { user: User::new(id(), "carol2"), email: Some("carol@example.com".into()), password_hash: None };
    assert!(matches!(store.create_user(&same_email).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.user_by_email("CAROL@example.COM").await.unwrap().map(|r| r.user.id), Some(uid));
    assert_eq!(store.user_by_email("nobody@example.com").await.unwrap(), None);
}

pub async fn tokens(store: &dyn Store) {
    let uid = user(store, "tok").await;
    assert_eq!(store.token_hash(uid).await.unwrap(), None);
    store.set_token_hash(uid, [7; 32]).await.unwrap();
    assert_eq!(store.token_hash(uid).await.unwrap(), Some([7; 32]));
    store.set_token_hash(uid, [9; 32]).await.unwrap();
    assert_eq!(store.token_hash(uid).await.unwrap(), Some([9; 32]));
    assert!(matches!(store.set_token_hash(id(), [1; 32]).await, Err(StoreError::NotFound(_))));
}

pub async fn applications(store: &dyn Store) {
    let bot = user(store, "bot").await;
    let owner = user(store, "dev").await;
    let app = ApplicationRecord {
        id: bot.cast(),
        name: "bot".into(),
        description: String::new(),
        icon: None,
        owner_id: owner,
        bot_user_id: Some(bot),
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: "ab".repeat(32),
        flags: ApplicationFlags::ALL_PRIVILEGED_INTENTS,
    };
    store.create_application(&app).await.unwrap();
    assert_eq!(store.application(app.id).await.unwrap(), Some(app.clone()));
    assert_eq!(store.application_for_bot(bot).await.unwrap(), Some(app.clone()));
    assert_eq!(store.application_for_bot(owner).await.unwrap(), None);
    assert!(matches!(store.create_application(&app).await, Err(StoreError::Conflict(_))));
    let mut changed = app.clone();
    changed.flags = ApplicationFlags::empty();
    store.update_application(&changed).await.unwrap();
    assert_eq!(store.application(app.id).await.unwrap().unwrap().flags, ApplicationFlags::empty());
}

pub async fn users_by_username(store: &dyn Store) {
    let name = format!("Name{}", id::<UserMarker>());
    let first = user(store, &name).await;
    let second = user(store, &name.to_lowercase()).await;
    user(store, "someone-else").await;
    let found: Vec<_> =
        store.users_by_username(&name.to_uppercase()).await.unwrap().iter().map(|u| u.user.id).collect();
    assert_eq!(found, vec![first, second]);
    assert!(store.users_by_username("nobody-has-this-name").await.unwrap().is_empty());
}
