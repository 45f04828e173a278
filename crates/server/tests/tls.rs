//! `--ca-cert` and `--client-cert` end to end: the binary talks HTTPS to a
//! TLS-terminating proxy in front of the emulator, with the test-only
//! certificates of the search crate (`crates/search/tests/fixtures`: a CA,
//! a `localhost`/`127.0.0.1` server certificate, a client identity).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use backup_actuator_testkit::Flavor;
use common::{Cluster, Server};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

fn fixture(name: &str) -> String {
    format!(
        "{}/../search/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Proxies TLS on a new port to the emulator; counts the handshakes in
/// which the client presented a certificate.
async fn tls_proxy(
    target: std::net::SocketAddr,
    require_client_cert: bool,
) -> (u16, Arc<AtomicUsize>) {
    let read = |name: &str| std::fs::read(fixture(name)).unwrap();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read("server.pem"))
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&read("server-key.pem")).unwrap();
    let builder = ServerConfig::builder();
    let config = if require_client_cert {
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(&read("ca.pem")) {
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
    let with_cert = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&with_cert);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty())
                {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    (port, with_cert)
}

fn serve(port: u16, extra: &[&str]) -> Server {
    let url = format!("https://localhost:{port}");
    let mut args = vec![
        "--backend",
        "elasticsearch",
        "--url",
        &url,
        "--repository",
        "backups",
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

#[test]
fn ca_cert_makes_the_cluster_s_certificate_trusted() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    let (port, _) = cluster.runtime.block_on(tls_proxy(cluster.addr(), false));
    let ca = fixture("ca.pem");
    let server = serve(port, &["--ca-cert", &ca]);
    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":3}"#);
    assert_eq!(status, 202, "{body}");
    assert_eq!(server.json("/actuator/backups/3")["state"], "COMPLETE");
    drop(server);

    // Without it, the certificate is not trusted: a connection error.
    let server = serve(port, &["--request-timeout", "5s"]);
    let (status, body) = server.request("GET", "/actuator/backups", "");
    assert_eq!(status, 502, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errorCode"], "elasticsearchConnectionError");
}

#[test]
fn client_cert_is_presented_along_with_basic_auth() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    cluster.require_basic_auth("elastic", "changeme");
    let (port, with_cert) = cluster.runtime.block_on(tls_proxy(cluster.addr(), true));
    let (ca, identity) = (fixture("ca.pem"), fixture("client-identity.pem"));
    let url = format!("https://localhost:{port}");
    let server = Server::start_with_env(
        &[
            "--backend",
            "elasticsearch",
            "--url",
            &url,
            "--repository",
            "backups",
            "--ca-cert",
            &ca,
            "--client-cert",
            &identity,
            "--username",
            "elastic",
        ],
        &[("BACKUP_ACTUATOR_PASSWORD", "changeme")],
    );
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    assert!(with_cert.load(Ordering::SeqCst) > 0);
    let stderr = server.stop();
    assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");

    // A cluster that requires a certificate refuses the handshake without one.
    let server = serve(port, &["--ca-cert", &ca, "--request-timeout", "5s"]);
    assert_eq!(server.request("GET", "/actuator/backups", "").0, 502);
}
