//! Conformance cases: Reactions, pins, invites, bans and concurrent writes.

use super::*;

pub async fn reactions(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 2, 1_000).await;
    let (a, b) = (user(store, "ra").await, user(store, "rb").await);
    let thumbs = ReactionEmoji::unicode("👍");
    let party = ReactionEmoji::custom(id(), "party", true);
    let m = ids[0];
    assert!(store.add_reaction(cid, m, &thumbs, a, ReactionType::Normal).await.unwrap());
    assert!(!store.add_reaction(cid, m, &thumbs, a, ReactionType::Normal).await.unwrap());
    assert!(store.add_reaction(cid, m, &thumbs, b, ReactionType::Normal).await.unwrap());
    assert!(store.add_reaction(cid, m, &party, b, ReactionType::Normal).await.unwrap());
    assert!(store.add_reaction(cid, ids[1], &party, a, ReactionType::Normal).await.unwrap());
    assert_eq!(store.reaction_emoji_count(m).await.unwrap(), 2);

    let seen_by_a = store.reactions(&[m, ids[1]], Some(a)).await.unwrap();
    let on_m: Vec<_> = seen_by_a.iter().filter(|s| s.message_id == m).collect();
    assert_eq!(on_m.len(), 2);
    assert_eq!((on_m[0].emoji.name.as_str(), on_m[0].normal, on_m[0].me), ("👍", 2, true));
    assert_eq!((on_m[1].emoji.clone(), on_m[1].normal, on_m[1].me), (party.clone(), 1, false));
    assert_eq!(seen_by_a.iter().filter(|s| s.message_id == ids[1]).count(), 1);
    assert!(store.reactions(&[m], None).await.unwrap().iter().all(|s| !s.me));

    let mut both = vec![a, b];
    both.sort();
    assert_eq!(store.reaction_users(m, &thumbs, ReactionType::Normal, None, 25).await.unwrap(), both);
    assert_eq!(store.reaction_users(m, &thumbs, ReactionType::Normal, Some(both[0]), 25).await.unwrap(), vec![both[1]]);
    assert_eq!(store.reaction_users(m, &thumbs, ReactionType::Normal, None, 1).await.unwrap(), vec![both[0]]);
    assert!(store.reaction_users(m, &thumbs, ReactionType::Burst, None, 25).await.unwrap().is_empty());

    assert!(store.remove_reaction(m, &thumbs, a, ReactionType::Normal).await.unwrap());
    assert!(!store.remove_reaction(m, &thumbs, a, ReactionType::Normal).await.unwrap());
    assert_eq!(store.remove_emoji_reactions(m, &party).await.unwrap(), 1);
    assert_eq!(store.reaction_emoji_count(m).await.unwrap(), 1);
    assert_eq!(store.remove_all_reactions(m).await.unwrap(), 1);
    assert!(store.reactions(&[m], Some(a)).await.unwrap().is_empty());
    // Deleting a message drops its reactions.
    store.delete_message(cid, ids[1]).await.unwrap();
    assert!(store.reactions(&[ids[1]], None).await.unwrap().is_empty());
}

pub async fn pins(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 4, 1_000).await;
    assert!(store.pin(cid, ids[0], ts(T0 + 10)).await.unwrap());
    assert!(!store.pin(cid, ids[0], ts(T0 + 11)).await.unwrap());
    assert!(store.pin(cid, ids[2], ts(T0 + 20)).await.unwrap());
    assert!(store.pin(cid, ids[1], ts(T0 + 30)).await.unwrap());
    assert!(matches!(store.pin(cid, id(), ts(T0)).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.pin_count(cid).await.unwrap(), 3);
    let pins: Vec<_> = store.pins(cid, None, 50).await.unwrap().into_iter().map(|p| p.message_id).collect();
    assert_eq!(pins, vec![ids[1], ids[2], ids[0]]);
    let older: Vec<_> =
        store.pins(cid, Some(ts(T0 + 30)), 1).await.unwrap().into_iter().map(|p| p.message_id).collect();
    assert_eq!(older, vec![ids[2]]);
    assert!(store.message(cid, ids[2]).await.unwrap().unwrap().pinned);
    assert!(store.unpin(cid, ids[2]).await.unwrap());
    assert!(!store.unpin(cid, ids[2]).await.unwrap());
    assert!(!store.message(cid, ids[2]).await.unwrap().unwrap().pinned);
    store.delete_message(cid, ids[1]).await.unwrap();
    assert_eq!(store.pin_count(cid).await.unwrap(), 1);
}

pub async fn invites(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "general", 0);
    store.create_channel(&ch).await.unwrap();
    let make = |code: &str, max_uses: u32| InviteRecord {
        code: code.into(),
        guild_id: gid,
        channel_id: ch.id,
        inviter_id: Some(owner),
        max_age: 86_400,
        max_uses,
        temporary: false,
        uses: 0,
        created_at: ts(T0),
    };
    let code_a = format!("a{}", gid);
    let code_b = format!("b{}", gid);
    store.create_invite(&make(&code_a, 2)).await.unwrap();
    store.create_invite(&make(&code_b, 0)).await.unwrap();
    assert!(matches!(store.create_invite(&make(&code_a, 1)).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.invite(&code_a).await.unwrap(), Some(make(&code_a, 2)));
    assert_eq!(store.channel_invites(ch.id).await.unwrap().len(), 2);
    assert_eq!(store.guild_invites(gid).await.unwrap().len(), 2);

    assert_eq!(store.use_invite(&code_a).await.unwrap().map(|i| i.uses), Some(1));
    assert_eq!(store.use_invite(&code_a).await.unwrap().map(|i| i.uses), Some(2));
    assert_eq!(store.use_invite(&code_a).await.unwrap(), None, "used up");
    for _ in 0..5 {
        assert!(store.use_invite(&code_b).await.unwrap().is_some(), "unlimited");
    }
    assert_eq!(store.use_invite("nope").await.unwrap(), None);
    assert_eq!(store.delete_invite(&code_a).await.unwrap().map(|i| i.code), Some(code_a.clone()));
    assert_eq!(store.delete_invite(&code_a).await.unwrap(), None);
    store.delete_channel(ch.id).await.unwrap();
    assert_eq!(store.invite(&code_b).await.unwrap(), None, "invites go with their channel");
}

pub async fn bans(store: &dyn Store) {
    let (gid, _) = guild_with_owner(store).await;
    let mut banned: Vec<Id<UserMarker>> = (0..5).map(|_| id()).collect();
    banned.sort();
    for (i, u) in banned.iter().enumerate() {
        store
            .create_ban(&BanRecord { guild_id: gid, user_id: *u, reason: (i == 0).then(|| "spam".to_owned()) })
            .await
            .unwrap();
    }
    assert_eq!(store.ban(gid, banned[0]).await.unwrap().unwrap().reason.as_deref(), Some("spam"));
    store.create_ban(&BanRecord { guild_id: gid, user_id: banned[0], reason: Some("again".into()) }).await.unwrap();
    assert_eq!(store.ban(gid, banned[0]).await.unwrap().unwrap().reason.as_deref(), Some("again"));
    let ids = |v: Vec<BanRecord>| v.into_iter().map(|b| b.user_id).collect::<Vec<_>>();
    assert_eq!(ids(store.bans(gid, None, None, 1000).await.unwrap()), banned);
    assert_eq!(ids(store.bans(gid, None, Some(banned[1]), 2).await.unwrap()), banned[2..4]);
    assert_eq!(ids(store.bans(gid, Some(banned[3]), None, 2).await.unwrap()), banned[1..3]);
    assert_eq!(ids(store.bans(gid, Some(banned[3]), Some(banned[0]), 10).await.unwrap()), banned[..3], "before wins");
    assert!(store.delete_ban(gid, banned[0]).await.unwrap());
    assert!(!store.delete_ban(gid, banned[0]).await.unwrap());
    assert_eq!(store.ban(gid, banned[0]).await.unwrap(), None);
}

pub async fn webhooks(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let a = text_channel(gid, "a", 0);
    let b = text_channel(gid, "b", 1);
    store.create_channel(&a).await.unwrap();
    store.create_channel(&b).await.unwrap();
    let hook = |channel: Id<ChannelMarker>, name: &str| WebhookRecord {
        id: id(),
        kind: guildhall_model::webhook::WebhookType::Incoming,
        guild_id: Some(gid),
        channel_id: channel,
        creator_id: Some(owner),
        name: name.to_owned(),
        avatar: None,
        token: Some(format!("tok-{name}")),
        application_id: None,
    };
    let (h1, h2, h3) = (hook(a.id, "one"), hook(a.id, "two"), hook(b.id, "three"));
    for h in [&h1, &h2, &h3] {
        store.create_webhook(h).await.unwrap();
    }
    assert!(matches!(store.create_webhook(&h1).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.webhook(h1.id).await.unwrap().as_ref(), Some(&h1));
    assert_eq!(store.channel_webhooks(a.id).await.unwrap(), vec![h1.clone(), h2.clone()]);
    assert_eq!(store.guild_webhooks(gid).await.unwrap().len(), 3);
    let mut moved = h2.clone();
    moved.channel_id = b.id;
    moved.name = "moved".into();
    store.update_webhook(&moved).await.unwrap();
    assert_eq!(store.channel_webhooks(b.id).await.unwrap(), vec![moved.clone(), h3.clone()]);
    assert!(store.delete_webhook(h1.id).await.unwrap());
    assert!(!store.delete_webhook(h1.id).await.unwrap());
    assert!(matches!(store.update_webhook(&h1).await, Err(StoreError::NotFound(_))));
    // Deleting the channel takes its webhooks with it.
    store.delete_channel(b.id).await.unwrap();
    assert_eq!(store.webhook(h3.id).await.unwrap(), None);
    assert!(store.guild_webhooks(gid).await.unwrap().is_empty());
}

pub async fn concurrent_writes_all_land(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "busy", 0);
    store.create_channel(&ch).await.unwrap();
    let writes = (0..200).map(|i| {
        let mid = id_at(T0 + i);
        async move {
            store.create_message(&message(ch.id, Some(gid), owner, mid, "x")).await.unwrap();
            mid
        }
    });
    let mut written: Vec<_> = futures_join_all(writes).await;
    written.sort();
    assert_eq!(all_ids_oldest_first(store, ch.id, written.len()).await, written);
}

/// Concurrent writes where some fail: each failure is its caller's alone (a backend that
/// commits writes together must not let one failed write undo or fail the others).
pub async fn concurrent_failures_stay_alone(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "mixed", 0);
    store.create_channel(&ch).await.unwrap();
    let taken = id_at(T0);
    store.create_message(&message(ch.id, Some(gid), owner, taken, "first")).await.unwrap();
    let writes = (0..200u64).map(|i| {
        // Every fourth write reuses the taken id and must fail with Conflict.
        let mid = if i % 4 == 0 { taken } else { id_at(T0 + 1 + i) };
        async move { (mid, store.create_message(&message(ch.id, Some(gid), owner, mid, "x")).await) }
    });
    let results: Vec<_> = futures_join_all(writes).await;
    let mut landed = vec![taken];
    for (mid, result) in results {
        if mid == taken {
            assert!(matches!(result, Err(StoreError::Conflict(_))), "a duplicate id must conflict: {result:?}");
        } else {
            result.unwrap();
            landed.push(mid);
        }
    }
    landed.sort();
    assert_eq!(all_ids_oldest_first(store, ch.id, landed.len()).await, landed);
    assert_eq!(store.message(ch.id, taken).await.unwrap().unwrap().content, "first");
}

/// Every live message id of `channel`, oldest first, read back page by page. At most
/// `expected + 1` pages are read, so a backend whose `Before` is not strict fails instead of
/// looping forever.
async fn all_ids_oldest_first(
    store: &dyn Store,
    channel: Id<ChannelMarker>,
    expected: usize,
) -> Vec<Id<MessageMarker>> {
    let mut read = Vec::new();
    let mut anchor = MessageAnchor::Latest;
    for _ in 0..=expected {
        let page = store.messages(channel, anchor, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        anchor = MessageAnchor::Before(last.id);
        read.extend(ids_of(&page));
    }
    read.reverse();
    read
}

/// Polls all futures concurrently on the current task (the store is borrowed, so no spawning).
async fn futures_join_all<F: std::future::Future>(futs: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = futs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    results.into_iter().flatten().collect()
}
