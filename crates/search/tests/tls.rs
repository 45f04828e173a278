//! HTTPS: a custom CA, a client certificate, and TLS failures as
//! `Unreachable`, against a minimal TLS server with test-only certificates
//! from `tests/fixtures` (CA, `localhost`/`127.0.0.1` server, client).

use std::sync::{Arc, Mutex};

use backup_actuator_core::Product;
use backup_actuator_search::{ClusterStore, ConfigError};
use backup_actuator_store::{Operation, SnapshotStore, StoreError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

const CA: &[u8] = include_bytes!("fixtures/ca.pem");
const SERVER_CERT: &[u8] = include_bytes!("fixtures/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("fixtures/server-key.pem");
const CLIENT_IDENTITY: &[u8] = include_bytes!("fixtures/client-identity.pem");

const ROOT: &str = r#"{"name":"es-node-0","cluster_name":"tls","cluster_uuid":"x","version":{"number":"8.15.3","build_flavor":"default","build_type":"docker","build_hash":"h","build_date":"d","build_snapshot":false,"lucene_version":"9.11.1","minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}"#;

/// What the server saw: per request, the request line and whether the
/// client presented a certificate.
type Seen = Arc<Mutex<Vec<(String, bool)>>>;

/// Serves `GET /` and an empty snapshot list over TLS on 127.0.0.1.
async fn tls_server(require_client_cert: bool) -> (u16, Seen) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(SERVER_CERT)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).unwrap();
    let builder = ServerConfig::builder();
    let config = if require_client_cert {
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(CA) {
            roots.add(ca.unwrap()).unwrap();
        }
        let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .unwrap();
        builder
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .unwrap()
    } else {
        builder
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap()
    };
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let client_cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty());
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let line = text.lines().next().unwrap_or_default().to_owned();
                let body = if line.starts_with("GET / ") {
                    ROOT
                } else {
                    r#"{"snapshots":[],"total":0,"remaining":0}"#
                };
                record.lock().unwrap().push((line, client_cert));
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_custom_ca_is_trusted() {
    let (port, seen) = tls_server(false).await;
    for host in ["localhost", "127.0.0.1"] {
        let store = ClusterStore::builder(Product::Elasticsearch, format!("https://{host}:{port}"))
            .ca_certificate_pem(CA)
            .build()
            .unwrap();
        assert_eq!(store.find_snapshots("r", "x_*").await, Ok(vec![]), "{host}");
        assert_eq!(
            store.describe(),
            format!("Elasticsearch at https://{host}:{port}")
        );
    }
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn an_untrusted_certificate_is_unreachable() {
    let (port, seen) = tls_server(false).await;
    let store = ClusterStore::builder(Product::OpenSearch, format!("https://localhost:{port}"))
        .build()
        .unwrap();
    let result = store.find_snapshots("r", "x_*").await;
    assert!(
        matches!(
            &result,
            Err(StoreError::Unreachable {
                product: Product::OpenSearch,
                operation: Operation::ReadClusterInfo,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn plain_http_to_a_tls_port_is_unreachable() {
    let (port, _) = tls_server(false).await;
    let store = ClusterStore::builder(Product::Elasticsearch, format!("http://localhost:{port}"))
        .request_timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let result = store.find_snapshots("r", "x_*").await;
    assert!(
        matches!(&result, Err(StoreError::Unreachable { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_client_certificate_is_presented_with_basic_auth() {
    let (port, seen) = tls_server(true).await;
    let store = ClusterStore::builder(Product::Elasticsearch, format!("https://localhost:{port}"))
        .ca_certificate_pem(CA)
        .client_certificate_pem(CLIENT_IDENTITY)
        .basic_auth("elastic", "changeme")
        .build()
        .unwrap();
    assert_eq!(store.find_snapshots("r", "x_*").await, Ok(vec![]));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|(_, cert)| *cert), "{seen:?}");
    assert!(!format!("{store:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn without_the_required_client_certificate_it_is_unreachable() {
    let (port, _) = tls_server(true).await;
    let store = ClusterStore::builder(Product::Elasticsearch, format!("https://localhost:{port}"))
        .ca_certificate_pem(CA)
        .build()
        .unwrap();
    let result = store.find_snapshots("r", "x_*").await;
    assert!(
        matches!(&result, Err(StoreError::Unreachable { .. })),
        "{result:?}"
    );
}

#[test]
fn unreadable_certificates_are_config_errors() {
    let bad_ca = ClusterStore::builder(Product::Elasticsearch, "https://localhost:9200")
        .ca_certificate_pem(&b"not a pem"[..])
        .build();
    assert!(
        matches!(
            &bad_ca,
            Err(ConfigError::Certificate {
                what: "CA certificate",
                ..
            })
        ),
        "{bad_ca:?}"
    );
    let garbage_ca = ClusterStore::builder(Product::OpenSearch, "https://localhost:9200")
        .ca_certificate_pem(&b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"[..])
        .build();
    assert!(
        matches!(&garbage_ca, Err(ConfigError::Certificate { .. })),
        "{garbage_ca:?}"
    );
    // A certificate without its key is no client identity.
    let no_key = ClusterStore::builder(Product::Elasticsearch, "https://localhost:9200")
        .client_certificate_pem(SERVER_CERT)
        .build();
    assert!(
        matches!(
            &no_key,
            Err(ConfigError::Certificate {
                what: "client certificate",
                ..
            })
        ),
        "{no_key:?}"
    );
    let broken_key = ClusterStore::builder(Product::Elasticsearch, "https://localhost:9200")
        .client_certificate_pem(
            [
                &b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"[..],
                SERVER_CERT,
            ]
            .concat(),
        )
        .build();
    assert!(
        matches!(&broken_key, Err(ConfigError::Certificate { .. })),
        "{broken_key:?}"
    );
    let message = broken_key.unwrap_err().to_string();
    assert!(!message.contains("AAAA"), "{message}");
}
