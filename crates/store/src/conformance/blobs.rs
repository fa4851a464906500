//! The [`BlobStore`] contract: round trips, replacement, deletion, large and empty files, and
//! concurrent writers to different keys.

use super::*;

fn blob(content_type: Option<&str>, bytes: Vec<u8>) -> Blob {
    Blob { content_type: content_type.map(str::to_owned), bytes }
}

/// Run with any [`BlobStore`]: `blobs(&store).await`.
pub async fn blobs(store: &dyn BlobStore) {
    let a = id();
    let b = id();
    assert_eq!(store.blob(a).await.unwrap(), None);
    assert!(!store.delete_blob(a).await.unwrap());

    let png = blob(Some("image/png"), vec![0x89, b'P', b'N', b'G', 0, 255]);
    store.put_blob(a, &png).await.unwrap();
    assert_eq!(store.blob(a).await.unwrap(), Some(png));
    assert_eq!(store.blob(b).await.unwrap(), None, "keys are independent");

    // Replacing, then a file without a content type, then an empty one.
    let text = blob(Some("text/plain; charset=utf-8"), b"hello".to_vec());
    store.put_blob(a, &text).await.unwrap();
    assert_eq!(store.blob(a).await.unwrap(), Some(text));
    let untyped = blob(None, vec![1, 2, 3]);
    store.put_blob(b, &untyped).await.unwrap();
    assert_eq!(store.blob(b).await.unwrap(), Some(untyped));
    let empty = blob(None, Vec::new());
    let c = id();
    store.put_blob(c, &empty).await.unwrap();
    assert_eq!(store.blob(c).await.unwrap(), Some(empty));

    // A file larger than any buffer a backend might use, byte for byte.
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i: u32| (i.wrapping_mul(31) >> 3) as u8).collect();
    let d = id();
    store.put_blob(d, &blob(Some("application/octet-stream"), big.clone())).await.unwrap();
    assert_eq!(store.blob(d).await.unwrap().map(|b| b.bytes), Some(big));

    assert!(store.delete_blob(a).await.unwrap());
    assert_eq!(store.blob(a).await.unwrap(), None);
    assert!(!store.delete_blob(a).await.unwrap());
    assert!(store.blob(b).await.unwrap().is_some(), "deleting one file leaves the others");

    // Writers to different keys at once do not disturb each other.
    let keys: Vec<Id<guildhall_model::id::marker::AttachmentMarker>> = (0..4).map(|_| id()).collect();
    let write = |i: usize| {
        let (key, bytes) = (keys[i], vec![u8::try_from(i).unwrap(); 100_000 + i]);
        async move { store.put_blob(key, &blob(None, bytes)).await.unwrap() }
    };
    tokio::join!(write(0), write(1), write(2), write(3));
    for (i, key) in keys.iter().enumerate() {
        let got = store.blob(*key).await.unwrap().unwrap();
        assert_eq!(got.bytes, vec![u8::try_from(i).unwrap(); 100_000 + i]);
    }
}
