//! The HTTP transport: one `reqwest` client (rustls, the system's proxy
//! settings, a connection pool) that never follows a redirect.
//!
//! This is what the `opensearch` crate's transport does, minus its one
//! setting we cannot accept: it follows up to ten redirects, which sends a
//! DELETE wherever a `307` points and prints the redirect URL (with
//! whatever it echoes) in its errors; its builder has no way to turn that
//! off. A redirect here is an answer like any other, which the client
//! refuses ([`crate::error::redirected`]).

use std::error::Error as StdError;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, Url};

use crate::config::ConfigError;

/// What a failed send is: the transport's own error, or (with SigV4) a
/// signing failure. Its text is redacted before it is shown.
pub(crate) type SendError = Box<dyn StdError + Send + Sync + 'static>;

/// What the transport is built from.
pub(crate) struct TransportSettings {
    /// The cluster URL, without userinfo.
    pub url: Url,
    /// The `Authorization` header of a header scheme, marked sensitive.
    pub authorization: Option<HeaderValue>,
    /// Extra trusted CA certificates (PEM).
    pub ca_certificate_pem: Option<Vec<u8>>,
    /// A client certificate and its key (PEM).
    pub client_certificate_pem: Option<Vec<u8>>,
    /// The limit on one request, connect to end of answer.
    pub request_timeout: Option<Duration>,
    /// SigV4 signing.
    #[cfg(feature = "aws-auth")]
    pub sigv4: Option<sigv4::Signer>,
}

/// Sends requests to one cluster URL.
#[derive(Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    /// The cluster URL, its path ending in `/`, so that request paths join
    /// under it.
    base: Url,
    #[cfg(feature = "aws-auth")]
    sigv4: Option<sigv4::Signer>,
}

impl Transport {
    pub(crate) fn build(settings: TransportSettings) -> Result<Transport, ConfigError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("backup-actuator/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(value) = settings.authorization {
            headers.insert(AUTHORIZATION, value);
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers);
        if let Some(timeout) = settings.request_timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(pem) = &settings.ca_certificate_pem {
            let chain = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                ConfigError::Certificate {
                    what: "CA certificate",
                    reason: error_text(&e),
                }
            })?;
            if chain.is_empty() {
                return Err(ConfigError::Certificate {
                    what: "CA certificate",
                    reason: "the PEM holds no certificate".into(),
                });
            }
            // A PEM block whose contents are no certificate is only
            // found when a client is built with it: say which file it was.
            let alone = chain.iter().cloned().fold(
                reqwest::Client::builder(),
                reqwest::ClientBuilder::add_root_certificate,
            );
            if let Err(e) = alone.build() {
                return Err(ConfigError::Certificate {
                    what: "CA certificate",
                    reason: error_text(&e),
                });
            }
            for certificate in chain {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some(pem) = &settings.client_certificate_pem {
            let identity =
                reqwest::Identity::from_pem(pem).map_err(|e| ConfigError::Certificate {
                    what: "client certificate",
                    reason: error_text(&e),
                })?;
            // As for the CA: a key that does not parse shows on building.
            if let Err(e) = reqwest::Client::builder()
                .identity(identity.clone())
                .build()
            {
                return Err(ConfigError::Certificate {
                    what: "client certificate",
                    reason: error_text(&e),
                });
            }
            builder = builder.identity(identity);
        }
        let client = builder.build().map_err(|e| ConfigError::Transport {
            reason: error_text(&e),
        })?;
        let mut base = settings.url;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Transport {
            client,
            base,
            #[cfg(feature = "aws-auth")]
            sigv4: settings.sigv4,
        })
    }

    /// One request to `path` (percent-encoded, relative to the cluster URL).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, SendError> {
        let mut url = self.base.join(path.trim_start_matches('/'))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.body(body);
        }
        #[cfg_attr(not(feature = "aws-auth"), allow(unused_mut))]
        let mut request = request.build()?;
        #[cfg(feature = "aws-auth")]
        if let Some(signer) = &self.sigv4 {
            signer.sign(&mut request).await?;
        }
        Ok(self.client.execute(request).await?)
    }
}

/// A build error's text. The settings it complains about are a URL
/// without userinfo and certificates, which are not secret, but the
/// chain is read the same way as every other error.
fn error_text(error: &(dyn StdError + 'static)) -> String {
    crate::redact::Redactor::new(&[]).error(error).into_string()
}

#[cfg(feature = "aws-auth")]
pub(crate) mod sigv4 {
    //! SigV4 request signing for Amazon OpenSearch Service, as the
    //! `opensearch` crate's transport signs (its `aws_auth` module,
    //! Apache-2.0): the payload hash in `x-amz-content-sha256`.

    use std::fmt;
    use std::time::SystemTime;

    use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningParams, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use reqwest::header::HeaderValue;

    use super::SendError;

    /// Signs each request with the provider's current credentials.
    #[derive(Clone)]
    pub(crate) struct Signer {
        pub credentials: SharedCredentialsProvider,
        pub region: String,
        pub service: &'static str,
    }

    impl fmt::Debug for Signer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Signer")
                .field("region", &self.region)
                .finish_non_exhaustive()
        }
    }

    impl Signer {
        pub(crate) async fn sign(&self, request: &mut reqwest::Request) -> Result<(), SendError> {
            let credentials = self.credentials.provide_credentials().await?;
            let expiry = credentials.expiry();
            let identity = Identity::new(credentials, expiry);
            let mut settings = SigningSettings::default();
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            let params = SigningParams::V4(
                v4::SigningParams::builder()
                    .identity(&identity)
                    .name(self.service)
                    .region(&self.region)
                    .time(SystemTime::now())
                    .settings(settings)
                    .build()?,
            );
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect();
            let body = match request.body() {
                Some(body) => match body.as_bytes() {
                    Some(bytes) => SignableBody::Bytes(bytes),
                    None => SignableBody::UnsignedPayload,
                },
                None => SignableBody::Bytes(&[]),
            };
            let url = request.url().to_string();
            let signable = SignableRequest::new(
                request.method().as_str(),
                &url,
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                body,
            )?;
            let (instructions, _) = sign(signable, &params)?.into_parts();
            let (new_headers, new_query) = instructions.into_parts();
            for header in new_headers {
                let mut value = HeaderValue::from_str(header.value())?;
                value.set_sensitive(header.sensitive());
                request.headers_mut().insert(header.name(), value);
            }
            for (key, value) in new_query {
                request.url_mut().query_pairs_mut().append_pair(key, &value);
            }
            Ok(())
        }
    }
}
