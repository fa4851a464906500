//! The generated certificate for the TLS listener (architecture.md "Conventions"): every client
//! library opens the voice WebSocket as `wss://`, so a server with no configured certificate
//! makes its own local CA on first start and a leaf signed by it, and prints where the CA is, for
//! users and tests to trust (`NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`).
//!
//! The CA (and its key) is made once and kept in `<data_dir>/tls/`; the leaf is re-issued at
//! every start, so its names always match the current configuration.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// The files of a generated certificate set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedTls {
    /// The CA certificate clients trust (PEM).
    pub ca: PathBuf,
    /// The leaf certificate chain the listener presents (PEM, leaf then CA).
    pub cert: PathBuf,
    /// The leaf's private key (PEM).
    pub key: PathBuf,
}

/// Why the certificate could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Reading or writing the files.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Generating or parsing a key or certificate.
    #[error("certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
}

const CA_NAME: &str = "guildhall local CA";

/// The CA's parameters; the same every time, so a leaf issued from a later start chains to the
/// CA certificate written by the first one (same subject, same key identifier).
fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "guildhall");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(params)
}

fn write(path: &Path, contents: &str) -> Result<(), CertError> {
    std::fs::write(path, contents).map_err(|source| CertError::Io { path: path.to_path_buf(), source })
}

fn read(path: &Path) -> Result<String, CertError> {
    std::fs::read_to_string(path).map_err(|source| CertError::Io { path: path.to_path_buf(), source })
}

/// Makes sure `<data_dir>/tls/` holds a CA (created once) and a fresh leaf for `hosts` plus
/// `127.0.0.1`, `::1` and `localhost`.
pub fn ensure(data_dir: &Path, hosts: &[String]) -> Result<GeneratedTls, CertError> {
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|source| CertError::Io { path: dir.clone(), source })?;
    let files = GeneratedTls { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    let ca_key_path = dir.join("ca-key.pem");

    let params = ca_params()?;
    let (ca_pem, ca_key) = if files.ca.exists() && ca_key_path.exists() {
        (read(&files.ca)?, KeyPair::from_pem(&read(&ca_key_path)?)?)
    } else {
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        write_private(&ca_key_path, &key.serialize_pem())?;
        write(&files.ca, &cert.pem())?;
        (cert.pem(), key)
    };
    let issuer = Issuer::new(params, ca_key);

    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for host in hosts {
        if !host.is_empty() && !names.contains(host) {
            names.push(host.clone());
        }
    }
    let mut leaf = CertificateParams::new(Vec::<String>::new())?;
    leaf.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(name.clone().try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, names.get(3).map_or("localhost", String::as_str));
    leaf.distinguished_name = subject;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = rcgen::date_time_ymd(2024, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    write_private(&files.key, &leaf_key.serialize_pem())?;
    write(&files.cert, &format!("{}{}", leaf_cert.pem(), ca_pem))?;
    Ok(files)
}

/// Writes a private key readable by its owner only, from the moment the file exists (a key
/// that was ever world-readable, even briefly, would let others impersonate any site to
/// whoever trusts the CA).
fn write_private(path: &Path, contents: &str) -> Result<(), CertError> {
    use std::io::Write;
    let io = |source| CertError::Io { path: path.to_path_buf(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode when truncated: tighten it before writing.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_is_kept_and_leaf_follows_the_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure(dir.path(), &[]).unwrap();
        let ca = std::fs::read_to_string(&first.ca).unwrap();
        let second = ensure(dir.path(), &["chat.example".into(), "10.1.2.3".into()]).unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::read_to_string(&second.ca).unwrap(), ca, "the CA is made once");
        let chain = std::fs::read_to_string(&second.cert).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(chain.ends_with(&ca));
        assert!(std::fs::read_to_string(&second.key).unwrap().contains("PRIVATE KEY"));
        #[cfg(unix)]
        for key in [&second.key, &dir.path().join("tls/ca-key.pem")] {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
