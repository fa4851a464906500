//! Conformance cases: Messages: create, edit, paging across buckets, tombstones, bulk delete.

use super::*;

pub async fn message_create_get_update(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 1, 0).await;
    let mut m = store.message(cid, ids[0]).await.unwrap().unwrap();
    assert_eq!(m.content, "m0");
    assert_eq!(m.edited_timestamp, None);
    assert!(matches!(store.create_message(&m).await, Err(StoreError::Conflict(_))));

    m.content = "edited ✓".into();
    m.edited_timestamp = Some(ts(T0 + 5_000));
    m.embeds = vec![Embed { title: Some("t".into()), ..Embed::default() }];
    m.nonce = Some(Nonce::String("n1".into()));
    m.mention_user_ids = vec![m.author_id];
    store.update_message(&m).await.unwrap();
    let got = store.message(cid, ids[0]).await.unwrap().unwrap();
    assert_eq!(got, m);
    assert_eq!(got.edited_timestamp, Some(ts(T0 + 5_000)));
    assert_eq!(store.message(cid, id()).await.unwrap(), None);
    // The id alone is not enough: the channel must match.
    assert_eq!(store.message(id(), ids[0]).await.unwrap(), None);
}

pub async fn message_paging_latest_before_after(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 30, 60_000).await;
    let all = newest_first(&ids);
    assert_eq!(page_ids(store, cid, MessageAnchor::Latest, 10).await, all[..10]);
    assert_eq!(page_ids(store, cid, MessageAnchor::Latest, 100).await, all);
    assert_eq!(page_ids(store, cid, MessageAnchor::Latest, 0).await, all[..1], "limit clamps to 1");
    // before: strictly older, newest first.
    assert_eq!(page_ids(store, cid, MessageAnchor::Before(ids[10]), 5).await, newest_first(&ids[5..10]));
    assert!(store.messages(cid, MessageAnchor::Before(ids[0]), 5).await.unwrap().is_empty());
    // after: the closest newer ones, still returned newest first.
    assert_eq!(page_ids(store, cid, MessageAnchor::After(ids[10]), 5).await, newest_first(&ids[11..16]));
    assert!(store.messages(cid, MessageAnchor::After(ids[29]), 5).await.unwrap().is_empty());
    // Paging backwards through everything visits each message exactly once.
    let mut seen = Vec::new();
    let mut anchor = MessageAnchor::Latest;
    for _ in 0..=ids.len() {
        let page = store.messages(cid, anchor, 7).await.unwrap();
        let Some(last) = page.last() else { break };
        anchor = MessageAnchor::Before(last.id);
        seen.extend(ids_of(&page));
    }
    assert_eq!(seen, all);
}

pub async fn message_paging_around(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 21, 60_000).await;
    let page = page_ids(store, cid, MessageAnchor::Around(ids[10]), 5).await;
    assert_eq!(page.len(), 5);
    assert!(page.contains(&ids[10]));
    assert!(page.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(page, newest_first(&ids[8..13]));
    let edge = page_ids(store, cid, MessageAnchor::Around(ids[0]), 5).await;
    assert!(edge.contains(&ids[0]));
    assert!(edge.iter().all(|m| *m <= ids[2]));
}

pub async fn message_paging_crosses_buckets(store: &dyn Store) {
    // 40 messages one day apart span five 10-day buckets.
    let day = 24 * 60 * 60 * 1000;
    let (cid, ids) = channel_with_messages(store, 40, day).await;
    let buckets: std::collections::BTreeSet<u64> = ids.iter().map(|m| message_bucket(*m)).collect();
    assert!(buckets.len() >= 4, "fixture spans {} buckets", buckets.len());
    let all = newest_first(&ids);
    assert_eq!(page_ids(store, cid, MessageAnchor::Latest, 100).await, all);
    assert_eq!(page_ids(store, cid, MessageAnchor::Before(ids[35]), 30).await, newest_first(&ids[5..35]));
    assert_eq!(page_ids(store, cid, MessageAnchor::After(ids[3]), 30).await, newest_first(&ids[4..34]));
    assert_eq!(page_ids(store, cid, MessageAnchor::Around(ids[20]), 11).await, newest_first(&ids[15..26]));
    // An anchor id that is not a message (a time sentinel) still pages correctly.
    let sentinel: Id<MessageMarker> = Id::new_checked(((T0 + 15 * day + 1 - DISCORD_EPOCH_MS) << 22) - 1).unwrap();
    assert_eq!(page_ids(store, cid, MessageAnchor::Before(sentinel), 100).await, newest_first(&ids[..16]));
}

pub async fn message_tombstones_never_read(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 10, 1_000).await;
    assert!(store.delete_message(cid, ids[5]).await.unwrap());
    assert!(!store.delete_message(cid, ids[5]).await.unwrap());
    assert_eq!(store.message(cid, ids[5]).await.unwrap(), None);
    for anchor in [
        MessageAnchor::Latest,
        MessageAnchor::Before(ids[9]),
        MessageAnchor::After(ids[0]),
        MessageAnchor::Around(ids[5]),
    ] {
        let page = page_ids(store, cid, anchor, 100).await;
        assert!(!page.contains(&ids[5]), "{anchor:?} returned a tombstone");
    }
    assert_eq!(store.messages(cid, MessageAnchor::Latest, 100).await.unwrap().len(), 9);
    let mut gone = store.message(cid, ids[4]).await.unwrap().unwrap();
    gone.id = ids[5];
    assert!(matches!(store.update_message(&gone).await, Err(StoreError::NotFound(_))));
    // A tombstoned id cannot be reused.
    assert!(store.create_message(&gone).await.is_err());
}

pub async fn bulk_delete_and_author_purge(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 10, 1_000).await;
    let deleted = store.delete_messages(cid, &[ids[1], ids[2], ids[2], id()]).await.unwrap();
    let mut deleted_sorted = deleted.clone();
    deleted_sorted.sort();
    assert_eq!(deleted_sorted, vec![ids[1], ids[2]]);
    assert_eq!(store.messages(cid, MessageAnchor::Latest, 100).await.unwrap().len(), 8);

    let ch = store.channel(cid).await.unwrap().unwrap();
    let gid = ch.guild_id.unwrap();
    let author = store.message(cid, ids[0]).await.unwrap().unwrap().author_id;
    let other = user(store, "other").await;
    store.add_member(&MemberRecord::new(gid, other, ts(T0))).await.unwrap();
    let theirs = id_at(T0 + 100_000);
    store.create_message(&message(cid, Some(gid), other, theirs, "x")).await.unwrap();
    let purge = store.messages_by_author(gid, author, ids[6]).await.unwrap();
    let mut purge_ids: Vec<_> = purge
        .iter()
        .map(|(c, m)| {
            assert_eq!(*c, cid);
            *m
        })
        .collect();
    purge_ids.sort();
    assert_eq!(purge_ids, ids[6..].to_vec());
    assert_eq!(store.messages_by_author(gid, other, ids[0]).await.unwrap(), vec![(cid, theirs)]);
}

pub async fn last_message_id_tracks_newest(store: &dyn Store) {
    let (cid, ids) = channel_with_messages(store, 3, 1_000).await;
    let ch = store.channel(cid).await.unwrap().unwrap();
    assert_eq!(ch.last_message_id, Some(Nullable::Value(ids[2])));
}
