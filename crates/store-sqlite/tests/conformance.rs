//! The shared store conformance suite on SQLite.

#![allow(clippy::expect_used)]

use guildhall_store_sqlite::{SqliteOptions, SqliteStore};
use tempfile::TempDir;

async fn open_temp() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("guildhall.db"), SqliteOptions::default()).await.expect("open");
    (store, dir)
}

guildhall_store::conformance_tests!(open_temp);

/// The blob contract on the filesystem store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_blobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = guildhall_store_sqlite::FsBlobStore::open(dir.path().join("attachments")).expect("open");
    guildhall_store::conformance::blobs(&store).await;
    // Nothing but the finished files is left in the directory.
    let names: Vec<String> = std::fs::read_dir(store.dir())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit())), "{names:?}");
}

/// Stale temporary files (a crash mid-write) are swept at open; fresh ones (another process
/// writing now) and finished files are kept.
#[tokio::test]
async fn fs_blobs_sweep_stale_temp_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stale = dir.path().join(".tmp-1-2-3");
    let fresh = dir.path().join(".tmp-4-5-6");
    let done = dir.path().join("123");
    for path in [&stale, &fresh, &done] {
        std::fs::write(path, b"x").expect("write");
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options().write(true).open(&stale).expect("open").set_modified(old).expect("mtime");
    guildhall_store_sqlite::FsBlobStore::open(dir.path()).expect("open");
    assert!(!stale.exists());
    assert!(fresh.exists() && done.exists());
}
