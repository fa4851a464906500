//! Conformance cases: Messages: create, edit, paging across buckets, tombstones, bulk delete.

use guildhall_model::flags::MessageFlags;
use guildhall_model::message::{MessageSnapshot, MessageType, SnapshotMessage};

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
    // Components are kept as sent, key order and unknown fields included.
    m.components = vec![serde_json::json!({
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go", "x-extra": [1, null]}]
    })];
    let snapshot = SnapshotMessage {
        kind: MessageType::Reply,
        content: "forwarded".into(),
        embeds: vec![Embed { title: Some("e".into()), ..Embed::default() }],
        attachments: Vec::new(),
        timestamp: ts(T0),
        edited_timestamp: Some(ts(T0 + 1_000)),
        flags: MessageFlags::SUPPRESS_EMBEDS,
        mentions: vec![User::new(m.author_id, "someone")],
        mention_roles: vec![id()],
        components: Some(vec![serde_json::json!({"type": 10, "content": "hi"})]),
    };
    m.message_snapshots = vec![MessageSnapshot { message: snapshot }];
    store.update_message(&m).await.unwrap();
    let got = store.message(cid, ids[0]).await.unwrap().unwrap();
    assert_eq!(got, m);
    assert_eq!(got.edited_timestamp, Some(ts(T0 + 5_000)));
    assert_eq!(got.components[0]["components"][0]["x-extra"], serde_json::json!([1, null]));
    assert_eq!(got.message_snapshots[0].message.content, "forwarded");
    // And on create, not only on update.
    let mut fresh = message(cid, m.guild_id, m.author_id, id(), "with components");
    fresh.components = vec![serde_json::json!({"type": 17, "components": []})];
    store.create_message(&fresh).await.unwrap();
    assert_eq!(store.message(cid, fresh.id).await.unwrap().unwrap().components, fresh.components);
    assert_eq!(store.message(cid, id()).await.unwrap(), None);
    // The id alone is not enough: the channel must match.
    assert_eq!(store.message(id(), ids[0]).await.unwrap(), None);
}

pub async fn messages_bulk_create(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "bulk", 0);
    store.create_channel(&ch).await.unwrap();
    // Ids a few days apart, so the batch spans message buckets.
    let ids: Vec<Id<MessageMarker>> = (0..5).map(|i| id_at(T0 + i * 4 * 86_400_000)).collect();
    let batch: Vec<MessageRecord> =
        ids.iter().enumerate().map(|(i, mid)| message(ch.id, Some(gid), owner, *mid, &format!("b{i}"))).collect();
    store.create_messages(&batch).await.unwrap();
    assert_eq!(page_ids(store, ch.id, MessageAnchor::Latest, 100).await, newest_first(&ids));
    assert_eq!(store.channel(ch.id).await.unwrap().unwrap().last_message_id, Some(Nullable::Value(ids[4])));
    assert_eq!(store.message(ch.id, ids[2]).await.unwrap().unwrap().content, "b2");

    // All or nothing: one existing id fails the whole batch and writes none of it.
    let fresh = id_at(T0 + 30 * 86_400_000);
    let clash = vec![message(ch.id, Some(gid), owner, fresh, "new"), batch[0].clone()];
    assert!(matches!(store.create_messages(&clash).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.message(ch.id, fresh).await.unwrap(), None);
    assert_eq!(store.channel(ch.id).await.unwrap().unwrap().last_message_id, Some(Nullable::Value(ids[4])));
    // An empty batch is fine.
    store.create_messages(&[]).await.unwrap();
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

/// Tiny deterministic PRNG (xorshift64*): the suite stays reproducible and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a correct backend returns, computed over a plain sorted list of live ids.
fn reference_page(live: &[Id<MessageMarker>], anchor: MessageAnchor, limit: usize) -> Vec<Id<MessageMarker>> {
    let newest_first = |v: Vec<Id<MessageMarker>>| v.into_iter().rev().collect::<Vec<_>>();
    match anchor {
        MessageAnchor::Latest => newest_first(live[live.len().saturating_sub(limit)..].to_vec()),
        MessageAnchor::Before(x) => {
            let older: Vec<_> = live.iter().copied().filter(|m| *m < x).collect();
            newest_first(older[older.len().saturating_sub(limit)..].to_vec())
        }
        MessageAnchor::After(x) => newest_first(live.iter().copied().filter(|m| *m > x).take(limit).collect()),
        MessageAnchor::Around(x) => {
            let after = limit / 2;
            let mut page = newest_first(live.iter().copied().filter(|m| *m > x).take(after).collect());
            let older: Vec<_> = live.iter().copied().filter(|m| *m <= x).collect();
            page.extend(newest_first(older[older.len().saturating_sub(limit - after)..].to_vec()));
            page
        }
    }
}

/// 300 random pages (every anchor kind, anchors on live ids, tombstones, gaps and time
/// sentinels, limits 1–100) over 240 messages spread across many 10-day buckets, each compared
/// with the reference computation.
pub async fn message_paging_matches_reference_model(store: &dyn Store) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (gid, owner) = guild_with_owner(store).await;
    let ch = text_channel(gid, "history", 0);
    store.create_channel(&ch).await.unwrap();
    let mut at = T0;
    let mut all = Vec::new();
    for i in 0..240 {
        // Gaps from a second to ~4 days: the channel spans roughly 16 buckets, some empty.
        at += 1_000 + rng.below(4 * 24 * 60 * 60 * 1000);
        let mid = id_at(at);
        store.create_message(&message(ch.id, Some(gid), owner, mid, &format!("r{i}"))).await.unwrap();
        all.push(mid);
    }
    let buckets: std::collections::BTreeSet<u64> = all.iter().map(|m| message_bucket(*m)).collect();
    assert!(buckets.len() >= 10, "only {} buckets", buckets.len());
    let mut live = all.clone();
    for _ in 0..40 {
        let victim = all[usize::try_from(rng.below(all.len() as u64)).unwrap()];
        if store.delete_message(ch.id, victim).await.unwrap() {
            live.retain(|m| *m != victim);
        }
    }
    for case in 0..300 {
        let limit = 1 + usize::try_from(rng.below(100)).unwrap();
        let pick = all[usize::try_from(rng.below(all.len() as u64)).unwrap()];
        // Half the anchors are message ids (live or deleted), half are arbitrary snowflakes.
        let x = if rng.below(2) == 0 {
            pick
        } else {
            Id::new_checked(pick.get().wrapping_add(rng.below(1 << 40)).max(1)).unwrap()
        };
        let anchor = match rng.below(4) {
            0 => MessageAnchor::Latest,
            1 => MessageAnchor::Before(x),
            2 => MessageAnchor::After(x),
            _ => MessageAnchor::Around(x),
        };
        let got = page_ids(store, ch.id, anchor, u32::try_from(limit).unwrap()).await;
        assert_eq!(got, reference_page(&live, anchor, limit), "case {case}: {anchor:?} limit {limit}");
    }
}

/// Two channels written interleaved never see each other's messages.
pub async fn message_pages_stay_in_their_channel(store: &dyn Store) {
    let (gid, owner) = guild_with_owner(store).await;
    let a = text_channel(gid, "a", 0);
    let b = text_channel(gid, "b", 1);
    store.create_channel(&a).await.unwrap();
    store.create_channel(&b).await.unwrap();
    let (mut in_a, mut in_b) = (Vec::new(), Vec::new());
    for i in 0..20 {
        let mid = id_at(T0 + i * 1_000);
        let (ch, list) = if i % 2 == 0 { (a.id, &mut in_a) } else { (b.id, &mut in_b) };
        store.create_message(&message(ch, Some(gid), owner, mid, "x")).await.unwrap();
        list.push(mid);
    }
    assert_eq!(page_ids(store, a.id, MessageAnchor::Latest, 100).await, newest_first(&in_a));
    assert_eq!(page_ids(store, b.id, MessageAnchor::Around(in_a[5]), 100).await, newest_first(&in_b));
    assert_eq!(store.message(b.id, in_a[0]).await.unwrap(), None);
    assert!(!store.delete_message(b.id, in_a[0]).await.unwrap(), "cannot delete through another channel");
    assert!(store.message(a.id, in_a[0]).await.unwrap().is_some());
}
