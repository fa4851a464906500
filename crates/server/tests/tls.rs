//! The TLS listener serves the same routes: the gateway answers a `wss://` handshake with HELLO
//! for a client that trusts the configured certificate's CA, and refuses a client that does not.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use futures_util::StreamExt;
use guildhall_server::{Config, TlsListener};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio_tungstenite::Connector;

struct Pki {
    ca_der: Vec<u8>,
    leaf_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki { ca_der: ca.der().to_vec(), leaf_pem: leaf.pem(), key_pem: leaf_key.serialize_pem() }
}

fn client(trusted: Option<&[u8]>) -> Connector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(der) = trusted {
        roots.add(der.to_vec().into()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Connector::Rustls(Arc::new(config))
}

#[tokio::test]
async fn the_gateway_is_served_over_tls_too() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    let services = guildhall_server::open(&config, guildhall_server::ProcessRole::Server).await.unwrap();
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tls_addr = tls_std.local_addr().unwrap();
    let tls = TlsListener::from_pem(tls_std, pki.leaf_pem.into_bytes(), pki.key_pem.into_bytes()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(guildhall_server::serve(plain, Some(tls), services, async {
        let _ = stopped.await;
    }));

    for path in ["/gateway?v=10&encoding=json", "/gateway/?v=10&encoding=json"] {
        let url = format!("wss://127.0.0.1:{}{path}", tls_addr.port());
        let (mut ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(client(Some(&pki.ca_der))))
                .await
                .unwrap();
        let hello = ws.next().await.unwrap().unwrap().into_text().unwrap();
        let hello: serde_json::Value = serde_json::from_str(&hello).unwrap();
        assert_eq!(hello["op"], 10);
        assert_eq!(hello["d"]["heartbeat_interval"], 41_250);
    }

    // A client that does not trust the CA gets no connection.
    let url = format!("wss://127.0.0.1:{}/gateway?v=10", tls_addr.port());
    assert!(tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(client(None))).await.is_err());

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
