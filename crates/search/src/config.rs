//! Connection settings and the transport built from them.

use std::fmt;
use std::time::Duration;

use backup_actuator_core::Product;
use base64::prelude::{Engine as _, BASE64_STANDARD};
use percent_encoding::percent_decode_str;
use reqwest::header::HeaderValue;
use reqwest::Url;

use crate::redact::Credential;
use crate::transport::{Transport, TransportSettings};

/// The default number of snapshots asked for per page on Elasticsearch ≥ 7.14.
///
/// Each page is a request, and the cluster sorts every matching snapshot
/// for each one, so small pages multiply its work: on 20,000 snapshots, 1000
/// per page made the list route as slow as one unfiltered download, 5000 per
/// page half as slow, while the answer held in memory at once stays near
/// 2.5 MB (without index names) instead of growing with the repository.
pub const DEFAULT_PAGE_SIZE: u32 = 5000;

/// A value that must never be printed: `Debug` shows `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret<T>(pub(crate) T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A public PEM document; `Debug` shows its size, not its bytes.
#[derive(Clone)]
pub(crate) struct Pem(pub(crate) Vec<u8>);

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<PEM, {} bytes>", self.0.len())
    }
}

/// Why a store could not be built from its settings. Never contains a
/// password, token, key or the userinfo of the URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cluster URL cannot be used.
    #[error("invalid cluster URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// A PEM certificate (CA or client) cannot be read.
    #[error("invalid {what}: {reason}")]
    Certificate {
        /// `CA certificate` or `client certificate`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Credentials that cannot be sent in an HTTP header, or that cannot be
    /// combined with another setting.
    #[error("invalid credentials: {reason}")]
    Credentials {
        /// What is wrong with them (never the credentials themselves).
        reason: String,
    },
    /// An API key for a product without API keys: they are an
    /// Elasticsearch feature, OpenSearch has none (use basic auth, a bearer
    /// token, a client certificate or AWS SigV4).
    #[error("an API key is an Elasticsearch credential; {product} has none")]
    ApiKeyNotSupported {
        /// The product the store was configured for.
        product: Product,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {reason}")]
    Transport {
        /// The client's explanation.
        reason: String,
    },
}

#[derive(Clone, Debug)]
pub(crate) enum HeaderAuth {
    Basic {
        user: String,
        password: Secret<String>,
    },
    ApiKey(Secret<String>),
    Bearer(Secret<String>),
}

#[cfg(feature = "aws-auth")]
#[derive(Clone)]
pub(crate) struct AwsSigV4 {
    pub region: String,
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

#[cfg(feature = "aws-auth")]
impl fmt::Debug for AwsSigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSigV4")
            .field("region", &self.region)
            .field(
                "credentials",
                &if self.credentials.is_some() {
                    "[redacted]"
                } else {
                    "environment"
                },
            )
            .finish()
    }
}

/// Everything a [`ClusterStore`](crate::ClusterStore) is built from.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub product: Product,
    pub url: Secret<String>,
    pub auth: Option<HeaderAuth>,
    pub ca_certificate_pem: Option<Pem>,
    pub client_certificate_pem: Option<Secret<Vec<u8>>>,
    pub request_timeout: Option<Duration>,
    pub page_size: u32,
    #[cfg(feature = "aws-auth")]
    pub aws_sigv4: Option<AwsSigV4>,
}

impl Settings {
    /// Every credential a cluster or proxy could echo back: those of the
    /// settings, the URL's userinfo (decoded, and its password as written
    /// in the URL), and AWS keys read from the environment. The
    /// [`Redactor`](crate::redact::Redactor) knows their encodings.
    pub(crate) fn credentials(&self) -> Vec<Credential> {
        let mut credentials = Vec::new();
        if let Ok(url) = Url::parse(self.url.0.trim()) {
            if let Some(raw) = url.password() {
                credentials.push(Credential::Secret(raw.to_owned()));
            }
        }
        let url_auth = parse_url(&self.url.0).ok().and_then(|(_, auth)| auth);
        for auth in self.auth.iter().chain(url_auth.as_ref()) {
            credentials.push(match auth {
                HeaderAuth::Basic { user, password } => Credential::Basic {
                    user: user.clone(),
                    password: password.0.clone(),
                },
                HeaderAuth::ApiKey(secret) | HeaderAuth::Bearer(secret) => {
                    Credential::Secret(secret.0.trim().to_owned())
                }
            });
        }
        #[cfg(feature = "aws-auth")]
        if self
            .aws_sigv4
            .as_ref()
            .is_some_and(|aws| aws.credentials.is_none())
        {
            for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
                if let Ok(value) = std::env::var(name) {
                    credentials.push(Credential::Secret(value));
                }
            }
        }
        credentials
    }

    pub(crate) fn new(product: Product, url: String) -> Settings {
        Settings {
            product,
            url: Secret(url),
            auth: None,
            ca_certificate_pem: None,
            client_certificate_pem: None,
            request_timeout: None,
            page_size: DEFAULT_PAGE_SIZE,
            #[cfg(feature = "aws-auth")]
            aws_sigv4: None,
        }
    }

    /// Refuses the settings that only the other product has: an API key
    /// is an Elasticsearch credential. Nothing else differs: SigV4 signs
    /// for service `es` on Amazon OpenSearch Service whichever engine the
    /// domain runs, and the page size is used only where the cluster
    /// pages.
    pub(crate) fn check_product_options(&self) -> Result<(), ConfigError> {
        match (&self.auth, self.product) {
            (Some(HeaderAuth::ApiKey(_)), Product::OpenSearch) => {
                Err(ConfigError::ApiKeyNotSupported {
                    product: self.product,
                })
            }
            _ => Ok(()),
        }
    }

    /// The transport and the cluster URL without userinfo.
    pub(crate) fn build_transport(self) -> Result<(Transport, Url), ConfigError> {
        let (url, url_auth) = parse_url(&self.url.0)?;
        let auth = self.auth.or(url_auth);
        let authorization = auth.as_ref().map(authorization_header).transpose()?;
        let client_certificate_pem = match self.client_certificate_pem {
            Some(pem) => {
                validate_client_pem(&pem.0)?;
                Some(pem.0)
            }
            None => None,
        };
        #[cfg(feature = "aws-auth")]
        let sigv4 = match self.aws_sigv4 {
            Some(aws) => {
                if auth.is_some() {
                    return Err(ConfigError::Credentials {
                        reason: "AWS SigV4 signing cannot be combined with basic auth, an API key or a bearer token".into(),
                    });
                }
                if client_certificate_pem.is_some() {
                    return Err(ConfigError::Credentials {
                        reason: "AWS SigV4 signing cannot be combined with a client certificate"
                            .into(),
                    });
                }
                Some(aws_signer(aws)?)
            }
            None => None,
        };
        let transport = Transport::build(TransportSettings {
            url: url.clone(),
            authorization,
            ca_certificate_pem: self.ca_certificate_pem.map(|pem| pem.0),
            client_certificate_pem,
            request_timeout: self.request_timeout,
            #[cfg(feature = "aws-auth")]
            sigv4,
        })?;
        Ok((transport, url))
    }
}

/// Parses the cluster URL, takes its userinfo out as basic credentials.
fn parse_url(raw: &str) -> Result<(Url, Option<HeaderAuth>), ConfigError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| ConfigError::InvalidUrl {
        reason: e.to_string(),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(ConfigError::InvalidUrl {
            reason: format!("scheme must be http or https, not {}", url.scheme()),
        });
    }
    if url.host().is_none() {
        return Err(ConfigError::InvalidUrl {
            reason: "no host".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::InvalidUrl {
            reason: "a query or fragment cannot be part of the cluster URL".into(),
        });
    }
    let auth = if url.username().is_empty() && url.password().is_none() {
        None
    } else {
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let auth = HeaderAuth::Basic {
            user: decode(url.username()),
            password: Secret(decode(url.password().unwrap_or(""))),
        };
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Some(auth)
    };
    Ok((url, auth))
}

fn authorization_header(auth: &HeaderAuth) -> Result<HeaderValue, ConfigError> {
    let text = match auth {
        HeaderAuth::Basic { user, password } => {
            format!(
                "Basic {}",
                BASE64_STANDARD.encode(format!("{user}:{}", password.0))
            )
        }
        HeaderAuth::ApiKey(key) => format!("ApiKey {}", key.0.trim()),
        HeaderAuth::Bearer(token) => format!("Bearer {}", token.0.trim()),
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| ConfigError::Credentials {
        reason: "they contain characters that cannot be sent in an HTTP header".into(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The transport would only fail on the first request (or not at all) for
/// a PEM without a certificate or key; say so when the store is built.
fn validate_client_pem(pem: &[u8]) -> Result<(), ConfigError> {
    let text = String::from_utf8_lossy(pem);
    let has_cert = text.contains("-----BEGIN CERTIFICATE-----");
    let has_key = text.contains("PRIVATE KEY-----");
    if has_cert && has_key {
        Ok(())
    } else {
        Err(ConfigError::Certificate {
            what: "client certificate",
            reason: "the PEM must hold a certificate and its private key".into(),
        })
    }
}

#[cfg(feature = "aws-auth")]
fn aws_signer(aws: AwsSigV4) -> Result<crate::transport::sigv4::Signer, ConfigError> {
    use aws_credential_types::provider::SharedCredentialsProvider;

    let provider = match aws.credentials {
        Some(provider) => provider,
        None => {
            let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            let (Some(key), Some(secret)) =
                (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
            else {
                return Err(ConfigError::Credentials {
                    reason: "AWS SigV4 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or a credentials provider".into(),
                });
            };
            SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ))
        }
    };
    // Amazon OpenSearch Service signs for service `es` whichever engine
    // the domain runs.
    Ok(crate::transport::sigv4::Signer {
        credentials: provider,
        region: aws.region,
        service: "es",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret("hunter2")), "[redacted]");
        let mut settings = Settings::new(Product::Elasticsearch, "https://u:hunter2@h:9200".into());
        settings.auth = Some(HeaderAuth::Bearer(Secret("tok3n".into())));
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("tok3n"),
            "{printed}"
        );
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_leaves_the_url() {
        let (url, auth) = parse_url("https://elastic:p%40ss@es.example:9200").unwrap();
        assert_eq!(url.as_str(), "https://es.example:9200/");
        match auth {
            Some(HeaderAuth::Basic { user, password }) => {
                assert_eq!(user, "elastic");
                assert_eq!(password.0, "p@ss");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for raw in ["not a url", "ftp://h", "http://h:9200/?x=1", "unix:/tmp/s"] {
            assert!(
                matches!(parse_url(raw), Err(ConfigError::InvalidUrl { .. })),
                "{raw}"
            );
        }
    }

    #[test]
    fn authorization_headers() {
        let basic = authorization_header(&HeaderAuth::Basic {
            user: "elastic".into(),
            password: Secret("changeme".into()),
        })
        .unwrap();
        assert_eq!(basic.to_str().unwrap(), "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
        assert!(basic.is_sensitive());
        let key = authorization_header(&HeaderAuth::ApiKey(Secret(
            "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==".into(),
        )))
        .unwrap();
        assert_eq!(
            key.to_str().unwrap(),
            "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
        );
        assert!(authorization_header(&HeaderAuth::Bearer(Secret("a\nb".into()))).is_err());
    }
}
