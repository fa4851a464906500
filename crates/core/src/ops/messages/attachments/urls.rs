//! Attachment URLs, signed like Discord's CDN links: `{public}/attachments/{channel}/{id}/
//! {filename}?ex={expiry}&is={issued}&hm={hmac}&` with hex Unix seconds and an HMAC-SHA256
//! (keyed by the installation secret) over the path and both times. Records keep only the
//! path; every rendering signs afresh, so a message fetched again carries fresh links, and a
//! link is worthless without the secret and dead after a day, as on Discord.

use guildhall_model::Id;
use guildhall_model::id::marker::{AttachmentMarker, ChannelMarker};
use guildhall_model::message::{Attachment, Message};
use guildhall_store::Blob;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::ops::{Code, Core, Error, Result};

/// How long a signed link works (Discord: 24 hours).
const URL_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// Separates these MACs from every other use of the installation secret.
const MAC_CONTEXT: &[u8] = b"guildhall attachment url v1\n";
/// Where attachment paths start; stored URLs that do not are left alone.
const PREFIX: &str = "/attachments/";

/// The query of a download link.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AttachmentQuery {
    pub ex: Option<String>,
    pub is: Option<String>,
    pub hm: Option<String>,
}

/// The unsigned path of an attachment, as records keep it.
pub(crate) fn attachment_path(channel_id: Id<ChannelMarker>, id: Id<AttachmentMarker>, filename: &str) -> String {
    format!("{PREFIX}{channel_id}/{id}/{filename}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

impl Core {
    fn url_mac(&self, path: &str, ex: &str, is: &str) -> Result<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret().as_bytes()).map_err(|e| Error::internal(&e))?;
        for part in [MAC_CONTEXT, path.as_bytes(), b"\n", ex.as_bytes(), b"\n", is.as_bytes()] {
            mac.update(part);
        }
        Ok(mac)
    }

    /// The signed, absolute link of an attachment path, valid for a day from now.
    fn sign_path(&self, path: &str) -> Result<String> {
        let now = self.now().as_secs();
        let ex = format!("{:08x}", now.saturating_add(URL_LIFETIME_SECS));
        let is = format!("{now:08x}");
        let hm = hex(&self.url_mac(path, &ex, &is)?.finalize().into_bytes());
        Ok(format!("{}{path}?ex={ex}&is={is}&hm={hm}&", self.public_url()))
    }

    /// Signs every stored attachment path of `attachments` into a link (`url` and `proxy_url`).
    pub(crate) fn sign_attachments(&self, attachments: &mut [Attachment]) -> Result<()> {
        for attachment in attachments.iter_mut().filter(|a| a.url.starts_with(PREFIX)) {
            attachment.url = self.sign_path(&attachment.url)?;
            attachment.proxy_url.clone_from(&attachment.url);
        }
        Ok(())
    }

    /// Signs the links of a rendered message, its forwarded snapshots and the message it
    /// replies to.
    pub(crate) fn sign_message(&self, message: &mut Message) -> Result<()> {
        self.sign_attachments(&mut message.attachments)?;
        for snapshot in message.message_snapshots.iter_mut().flatten() {
            self.sign_attachments(&mut snapshot.message.attachments)?;
        }
        if let Some(guildhall_model::Nullable::Value(replied)) = &mut message.referenced_message {
            self.sign_message(replied)?;
        }
        Ok(())
    }

    /// `GET /attachments/{channel}/{id}/{filename}?ex&is&hm` ⇒ the file. No authentication (the
    /// signature is the credential, like Discord's CDN); a missing or wrong signature, an
    /// expired link, a deleted channel or a deleted file are all a plain 404.
    pub async fn attachment_file(
        &self,
        channel_id: Id<ChannelMarker>,
        id: Id<AttachmentMarker>,
        filename: &str,
        query: &AttachmentQuery,
    ) -> Result<Blob> {
        let not_found = || Error::code(Code::NotFound);
        let (Some(ex), Some(is), Some(hm)) = (&query.ex, &query.is, &query.hm) else {
            return Err(not_found());
        };
        let expiry = (ex.len() <= 16).then(|| i64::from_str_radix(ex, 16).ok()).flatten().ok_or_else(not_found)?;
        let signature = unhex(hm).ok_or_else(not_found)?;
        let path = attachment_path(channel_id, id, filename);
        // Constant-time comparison: timing must not reveal how much of a guess was right.
        self.url_mac(&path, ex, is)?.verify_slice(&signature).map_err(|_| not_found())?;
        if expiry < self.now().as_secs() || self.store().channel(channel_id).await?.is_none() {
            return Err(not_found());
        }
        self.blobs().blob(id).await?.ok_or_else(not_found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000fff"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é1"), None);
    }
}
