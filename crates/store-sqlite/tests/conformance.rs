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
