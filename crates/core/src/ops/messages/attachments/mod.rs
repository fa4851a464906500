//! Attachments (protocol.md §3.1 "File uploads", §3.6 "Attachment"). The files of a multipart
//! request ([`Upload`]) become attachments with fresh ids; their bytes go to the
//! [`guildhall_store::BlobStore`] under those ids, and the message keeps the metadata with an
//! unsigned path that rendering turns into a signed link (`urls`).
//!
//! A message's files live and die with it. Files are written before the message row (a failed
//! insert discards them) and erased before the row goes away: if erasing fails, the request
//! fails and the message is still there to delete again, instead of a file nobody can delete
//! that anyone holding its link could still download.

mod media;
mod urls;

use guildhall_model::id::marker::{ChannelMarker, MessageMarker};
use guildhall_model::message::Attachment;
use guildhall_model::{Id, Nullable};
use guildhall_store::Blob;
use serde::{Deserialize, Deserializer};

pub use media::{guess_content_type, image_size, sanitize_filename};
pub use urls::AttachmentQuery;
pub(crate) use urls::attachment_path;

use crate::limits::{self, FormError, FormErrors, PathSegment, codes};
use crate::ops::{Code, Core, Error, Result};

/// A file of a multipart request (`files[n]`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Upload {
    /// `n`, which `attachments[].id` refers to.
    pub index: u64,
    /// The part's filename, as sent.
    pub filename: String,
    /// The part's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The file.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("index", &self.index)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}

/// An `attachments` entry: the metadata of a new file (`id` = its `n`) or, in an edit, an
/// existing attachment to keep (`id` = its snowflake). Whatever else clients echo back of an
/// attachment (`url`, `size`…) is ignored.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AttachmentRequest {
    /// discord.py sends the index as a number, discord.js as a string.
    #[serde(deserialize_with = "index_or_snowflake")]
    pub id: u64,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

fn index_or_snowflake<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<u64, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a file index or a snowflake")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom("not a snowflake"))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<u64, E> {
            v.parse().map_err(|_| E::custom("not a snowflake"))
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// New attachments and the files to store for them.
pub(crate) type NewFiles = Vec<(Attachment, Blob)>;

/// What an edit does to a message's files.
#[derive(Debug, Default)]
pub(crate) struct FileChanges {
    pub(crate) added: NewFiles,
    pub(crate) removed: Vec<Attachment>,
}

/// Checks the files and the `attachments` entries: each file at most 10 MiB and all of them
/// 25 MiB (40005, a 413), at most 10 files with distinct indexes, descriptions and titles at
/// most 1024 characters (50035).
pub(crate) fn validate(errors: &mut FormErrors, requests: &[AttachmentRequest], files: &[Upload]) -> Result<()> {
    let total: usize = files.iter().map(|f| f.data.len()).sum();
    if total > limits::UPLOAD_MAX_BYTES || files.iter().any(|f| f.data.len() > limits::ATTACHMENT_MAX_BYTES) {
        return Err(Error::code(Code::EntityTooLarge));
    }
    if files.len() > limits::ATTACHMENTS_MAX {
        errors.push(too_many(&[PathSegment::field("files")]));
    }
    let mut seen = Vec::with_capacity(files.len());
    for file in files {
        if seen.contains(&file.index) {
            errors.push(FormError::new(
                vec![PathSegment::Field(format!("files[{}]", file.index).into())],
                "BASE_TYPE_INVALID",
                "Each file needs its own index.",
            ));
        }
        seen.push(file.index);
    }
    for (i, request) in requests.iter().enumerate() {
        for (field, value) in [("description", &request.description), ("title", &request.title)] {
            if let Some(value) = value {
                let path = [PathSegment::field("attachments"), PathSegment::Index(i), PathSegment::field(field)];
                errors.check(limits::validate_length(&path, value, 0, limits::ATTACHMENT_DESCRIPTION_MAX));
            }
        }
    }
    Ok(())
}

/// "Must be 10 or fewer in length." at `path`.
pub(crate) fn too_many(path: &[PathSegment]) -> FormError {
    FormError::new(
        path.to_vec(),
        codes::BASE_TYPE_MAX_LENGTH,
        format!("Must be {} or fewer in length.", limits::ATTACHMENTS_MAX),
    )
}

/// The `attachments` entry describing file `n`, if any.
fn request_for(requests: &[AttachmentRequest], index: u64) -> Option<&AttachmentRequest> {
    requests.iter().find(|r| r.id == index)
}

impl Core {
    /// Attachments for `files` in `channel_id`: fresh ids, the sanitized filename (the
    /// `attachments` entry's, else the part's), the content type, the size, an image's width
    /// and height, the entry's description and title. Nothing is stored yet.
    pub(crate) fn prepare_files(
        &self,
        channel_id: Id<ChannelMarker>,
        files: Vec<Upload>,
        requests: &[AttachmentRequest],
    ) -> NewFiles {
        files
            .into_iter()
            .map(|file| {
                let request = request_for(requests, file.index);
                let wanted = request.and_then(|r| r.filename.as_deref()).filter(|n| !n.trim().is_empty());
                let filename = sanitize_filename(wanted.unwrap_or(&file.filename));
                let content_type = media::content_type(file.content_type.as_deref(), &filename);
                let size =
                    content_type.as_deref().filter(|t| t.starts_with("image/")).and_then(|_| image_size(&file.data));
                let id = self.next_id();
                let path = attachment_path(channel_id, id, &filename);
                let attachment = Attachment {
                    id,
                    filename,
                    title: request.and_then(|r| r.title.clone()).filter(|t| !t.is_empty()),
                    description: request.and_then(|r| r.description.clone()).filter(|d| !d.is_empty()),
                    content_type: content_type.clone(),
                    size: u64::try_from(file.data.len()).unwrap_or(u64::MAX),
                    url: path.clone(),
                    proxy_url: path,
                    height: size.map(|(_, h)| Nullable::Value(h)),
                    width: size.map(|(w, _)| Nullable::Value(w)),
                    ephemeral: None,
                    flags: None,
                };
                (attachment, Blob { content_type, bytes: file.data })
            })
            .collect()
    }

    /// Stores the files of new attachments; if one fails, those already written are removed.
    pub(crate) async fn store_files(&self, files: &NewFiles) -> Result<()> {
        for (n, (attachment, blob)) in files.iter().enumerate() {
            if let Err(e) = self.blobs().put_blob(attachment.id, blob).await {
                self.discard_files(&files[..n]).await;
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Removes files whose message was never written (best effort: a leftover file has no
    /// message, so no signed link to it was ever handed out).
    pub(crate) async fn discard_files(&self, files: &[(Attachment, Blob)]) {
        for (attachment, _) in files {
            if let Err(error) = self.blobs().delete_blob(attachment.id).await {
                tracing::warn!(%error, id = %attachment.id, "attachment file not discarded");
            }
        }
    }

    /// Erases the files of attachments that are going away (a deleted message, an edit that
    /// drops them). Call before the message row changes; see the module docs.
    pub(crate) async fn erase_files(&self, attachments: &[Attachment]) -> Result<()> {
        for attachment in attachments {
            self.blobs().delete_blob(attachment.id).await?;
        }
        Ok(())
    }

    /// Erases the files of those of `ids` that are live messages of the channel (bulk deletes
    /// and ban purges, before the rows go).
    pub(crate) async fn erase_files_of(&self, channel_id: Id<ChannelMarker>, ids: &[Id<MessageMarker>]) -> Result<()> {
        for id in ids {
            if let Some(record) = self.store().message(channel_id, *id).await? {
                self.erase_files(&record.attachments).await?;
            }
        }
        Ok(())
    }
}
