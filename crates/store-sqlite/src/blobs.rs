//! Attachment files on the local filesystem: one file per attachment, named by its id, in one
//! directory (normally `<data_dir>/attachments/`).
//!
//! A file is written under a temporary name, fsynced, then renamed over its final name and the
//! directory fsynced: a reader (and a restart after a crash) sees the whole file or none, never
//! a half-written one. Temporary files a crash left behind are swept at open.
//!
//! Format: `GHB1`, the content type's length (u16, big-endian), the content type (UTF-8, empty
//! for none), then the file's bytes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use guildhall_model::id::Id;
use guildhall_model::id::marker::AttachmentMarker;
use guildhall_store::{Blob, BlobStore, StoreError, StoreResult};

use crate::backend;

const MAGIC: &[u8; 4] = b"GHB1";
const TEMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are leftovers of a crash (a live write takes far less);
/// younger ones may belong to another process writing right now.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Attachment files in a directory.
#[derive(Clone, Debug)]
pub struct FsBlobStore {
    dir: Arc<PathBuf>,
}

/// Distinguishes temporary files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FsBlobStore {
    /// Opens (creating it if needed) the directory and sweeps stale temporary files.
    pub fn open(dir: impl AsRef<Path>) -> StoreResult<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(backend)?;
        for entry in std::fs::read_dir(&dir).map_err(backend)?.flatten() {
            let is_temp = entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX));
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| SystemTime::now().duration_since(at).unwrap_or_default() > STALE_TEMP);
            if is_temp && stale {
                // Best effort: a leftover that cannot be removed is never served anyway.
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self { dir: Arc::new(dir) })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: Id<AttachmentMarker>) -> PathBuf {
        self.dir.join(id.to_string())
    }

    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Path) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || f(&dir)).await.map_err(backend)?
    }
}

fn encode_header(content_type: Option<&str>) -> StoreResult<Vec<u8>> {
    let content_type = content_type.unwrap_or_default().as_bytes();
    let len = u16::try_from(content_type.len()).map_err(|_| StoreError::Conflict("content type too long"))?;
    let mut header = Vec::with_capacity(6 + content_type.len());
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&len.to_be_bytes());
    header.extend_from_slice(content_type);
    Ok(header)
}

fn decode(mut raw: Vec<u8>) -> StoreResult<Blob> {
    let corrupt = |why: &str| StoreError::Corrupt { table: "attachments", source: why.to_owned().into() };
    let (magic, rest) = raw.split_at_checked(4).ok_or_else(|| corrupt("short file"))?;
    if magic != MAGIC {
        return Err(corrupt("bad magic"));
    }
    let (len, rest) = rest.split_first_chunk::<2>().ok_or_else(|| corrupt("short header"))?;
    let len = usize::from(u16::from_be_bytes(*len));
    let content_type = rest.get(..len).ok_or_else(|| corrupt("short content type"))?;
    let content_type = std::str::from_utf8(content_type).map_err(|_| corrupt("content type not UTF-8"))?;
    let content_type = (!content_type.is_empty()).then(|| content_type.to_owned());
    raw.drain(..6 + len);
    Ok(Blob { content_type, bytes: raw })
}

fn sync_dir(dir: &Path) -> StoreResult<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(backend)
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put_blob(&self, id: Id<AttachmentMarker>, blob: &Blob) -> StoreResult<()> {
        let header = encode_header(blob.content_type.as_deref())?;
        let bytes = blob.bytes.clone();
        let target = self.path_of(id);
        self.blocking(move |dir| {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!("{TEMP_PREFIX}{id}-{}-{n}", std::process::id()));
            let written = (|| {
                let mut file = std::fs::File::create(&temp)?;
                file.write_all(&header)?;
                file.write_all(&bytes)?;
                file.sync_all()?;
                std::fs::rename(&temp, &target)
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(backend(e));
            }
            sync_dir(dir)
        })
        .await
    }

    async fn blob(&self, id: Id<AttachmentMarker>) -> StoreResult<Option<Blob>> {
        let path = self.path_of(id);
        self.blocking(move |_| match std::fs::read(&path) {
            Ok(raw) => decode(raw).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        })
        .await
    }

    async fn delete_blob(&self, id: Id<AttachmentMarker>) -> StoreResult<bool> {
        let path = self.path_of(id);
        self.blocking(move |dir| match std::fs::remove_file(&path) {
            Ok(()) => sync_dir(dir).map(|()| true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(backend(e)),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        for content_type in [None, Some("image/png"), Some("text/plain; charset=utf-8")] {
            let mut raw = encode_header(content_type).unwrap_or_default();
            raw.extend_from_slice(b"data");
            let blob = decode(raw).ok();
            assert_eq!(blob, Some(Blob { content_type: content_type.map(str::to_owned), bytes: b"data".to_vec() }));
        }
        for raw in [&b""[..], b"GHB", b"XXXX\0\0", b"GHB1\0", b"GHB1\0\x05ab"] {
            assert!(decode(raw.to_vec()).is_err(), "{raw:?}");
        }
    }
}
