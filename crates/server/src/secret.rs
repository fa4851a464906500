//! The installation secret in the data directory (`secret.key`, 32 bytes, mode 0600).

use std::io::Write;
use std::path::Path;

use guildhall_core::token::TokenSecret;

const FILE: &str = "secret.key";

/// Reads the secret, creating it on first start.
pub fn load_or_create(data_dir: &Path) -> std::io::Result<TokenSecret> {
    let path = data_dir.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} is not 32 bytes", path.display()))
            })?;
            Ok(TokenSecret::from_bytes(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = TokenSecret::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(secret.as_bytes())?;
                    file.sync_all()?;
                    Ok(secret)
                }
                // Another process (e.g. `guildhall seed` beside `serve`) created it first.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(data_dir),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(FILE), b"short").unwrap();
        assert!(load_or_create(dir.path()).is_err());
    }
}
