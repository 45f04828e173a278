//! The one place the server turns `--backend` into a [`SnapshotStore`].
//!
//! Adding a backend means adding a match arm to [`build_store`]; nothing
//! else in the server knows which store it runs on. Both cluster backends
//! build the one [`ClusterStore`], told the product by value. Every option
//! is checked and every file read here, before the port is bound.

use std::sync::Arc;

use backup_actuator_core::Product;
use backup_actuator_search::{ClusterStore, ClusterStoreBuilder, ConfigError};
use backup_actuator_store::{MemoryStore, SnapshotStore};

use crate::cli::{Backend, ClusterArgs, Secret, ServeArgs, PASSWORD_ENV};
use crate::files::{read_pem, read_secret, FileError};

/// Why no store could be built. Never contains a credential.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackendError {
    /// A cluster backend without `--url`.
    #[error("--backend {backend} needs --url (or BACKUP_ACTUATOR_URL), e.g. --url https://localhost:9200")]
    MissingUrl {
        /// The backend asked for.
        backend: &'static str,
    },
    /// Cluster options given to the memory backend, which would silently
    /// ignore them.
    #[error("{option} only applies to --backend elasticsearch or opensearch, not memory")]
    NotForMemory {
        /// The first such option.
        option: &'static str,
    },
    /// A command that works on a cluster only (restore) with the memory backend.
    #[error("restore works on a cluster: pass --backend elasticsearch or opensearch and --url")]
    NeedsCluster,
    /// `--memory-outcome` given to a cluster backend, which would ignore it.
    #[error("--memory-outcome only applies to --backend memory")]
    OnlyForMemory,
    /// One credential given two ways.
    #[error("the {what} is given twice, by {first} and by {second}; give it once")]
    GivenTwice {
        /// Which credential.
        what: &'static str,
        /// One source.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// A user without a password or a password without a user.
    #[error("basic authentication needs both --username and a password ({PASSWORD_ENV} or --password-file); only {given} is set")]
    IncompleteBasicAuth {
        /// The half that is there.
        given: &'static str,
    },
    /// Two authentication schemes at once; the cluster would see only one.
    #[error("conflicting cluster authentication: {first} and {second}; configure one")]
    ConflictingAuth {
        /// One scheme, with its option.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// API keys are an Elasticsearch feature.
    #[error("--api-key is an Elasticsearch API key; OpenSearch has none (use basic auth, a bearer token, a client certificate or --aws-region)")]
    ApiKeyOnOpenSearch,
    /// `--aws-region` in a binary built without SigV4 support.
    #[error("--aws-region needs AWS SigV4 signing, but this backup-actuator was built without the aws-auth feature (cargo build --features aws-auth)")]
    AwsAuthNotBuilt,
    /// A credential or certificate file.
    #[error(transparent)]
    File(#[from] FileError),
    /// The password environment variable is not UTF-8.
    #[error("{PASSWORD_ENV} is not UTF-8 text")]
    PasswordNotText,
    /// The store refused the settings (URL, certificate, credentials).
    #[error("cannot configure the {backend} backend: {source}")]
    Config {
        /// The backend asked for.
        backend: &'static str,
        /// The store's reason (never a credential).
        source: ConfigError,
    },
}

/// How the server authenticates to the cluster; at most one scheme.
#[derive(Debug)]
enum ClusterAuth {
    Basic {
        user: String,
        password: Secret,
    },
    ApiKey(Secret),
    Bearer(Secret),
    // Without the feature the region is checked for but never sent.
    #[cfg_attr(not(feature = "aws-auth"), allow(dead_code))]
    AwsSigV4 {
        region: String,
    },
}

/// The password as the environment holds it, read by `main` so that
/// [`build_store`] stays testable without touching the process environment.
pub(crate) fn password_from_env() -> Result<Option<Secret>, BackendError> {
    match std::env::var(PASSWORD_ENV) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(Secret::from(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(BackendError::PasswordNotText),
    }
}

/// The store `args` asks for. `password_env` is the value of
/// `BACKUP_ACTUATOR_PASSWORD` (see [`password_from_env`]).
pub(crate) fn build_store(
    args: &ServeArgs,
    password_env: Option<Secret>,
) -> Result<Arc<dyn SnapshotStore>, BackendError> {
    if args.cluster.backend != Backend::Memory && !args.memory_outcomes.is_empty() {
        return Err(BackendError::OnlyForMemory);
    }
    match args.cluster.backend {
        Backend::Memory => {
            if let Some(option) = first_cluster_option(args, password_env.is_some()) {
                return Err(BackendError::NotForMemory { option });
            }
            let store = MemoryStore::builder()
                .complete_after(args.memory_complete_after)
                .build();
            for rule in &args.memory_outcomes {
                store.set_outcome(&rule.glob, rule.outcome.clone());
            }
            Ok(Arc::new(store))
        }
        Backend::Elasticsearch | Backend::Opensearch => {
            Ok(Arc::new(build_cluster(&args.cluster, password_env)?))
        }
    }
}

/// The cluster store the options ask for; the memory backend is an error
/// here ([`BackendError::NeedsCluster`]). Restore needs the concrete
/// store, whose restore methods are not part of the [`SnapshotStore`]
/// trait.
pub(crate) fn build_cluster(
    cluster: &ClusterArgs,
    password_env: Option<Secret>,
) -> Result<ClusterStore, BackendError> {
    let (product, backend) = match cluster.backend {
        Backend::Memory => return Err(BackendError::NeedsCluster),
        Backend::Elasticsearch => (Product::Elasticsearch, "elasticsearch"),
        Backend::Opensearch => (Product::OpenSearch, "opensearch"),
    };
    let url = cluster
        .url
        .as_deref()
        .ok_or(BackendError::MissingUrl { backend })?;
    let auth = cluster_auth(cluster, password_env)?;
    let mut builder = ClusterStore::builder(product, url).request_timeout(cluster.request_timeout);
    if let Some(path) = &cluster.ca_cert {
        builder = builder.ca_certificate_pem(read_pem(path, "CA certificate")?);
    }
    if let Some(path) = &cluster.client_cert {
        builder = builder.client_certificate_pem(read_pem(path, "client certificate")?);
    }
    with_auth(builder, auth)?
        .build()
        .map_err(|source| match source {
            // The store's rule, in the words of the command line.
            ConfigError::ApiKeyNotSupported { .. } => BackendError::ApiKeyOnOpenSearch,
            source => BackendError::Config { backend, source },
        })
}

/// The builder with the one authentication scheme the options chose.
fn with_auth(
    builder: ClusterStoreBuilder,
    auth: Option<ClusterAuth>,
) -> Result<ClusterStoreBuilder, BackendError> {
    Ok(match auth {
        None => builder,
        Some(ClusterAuth::Basic { user, password }) => builder.basic_auth(user, password.expose()),
        Some(ClusterAuth::ApiKey(key)) => builder.api_key(key.expose()),
        Some(ClusterAuth::Bearer(token)) => builder.bearer_token(token.expose()),
        #[cfg(feature = "aws-auth")]
        Some(ClusterAuth::AwsSigV4 { region }) => builder.aws_sigv4(region),
        #[cfg(not(feature = "aws-auth"))]
        Some(ClusterAuth::AwsSigV4 { .. }) => return Err(BackendError::AwsAuthNotBuilt),
    })
}

/// The first option given that only a cluster backend uses.
fn first_cluster_option(args: &ServeArgs, password_env: bool) -> Option<&'static str> {
    [
        (args.cluster.url.is_some(), "--url"),
        (args.cluster.username.is_some(), "--username"),
        (password_env, PASSWORD_ENV),
        (args.cluster.password_file.is_some(), "--password-file"),
        (args.cluster.api_key.is_some(), "--api-key"),
        (args.cluster.api_key_file.is_some(), "--api-key-file"),
        (args.cluster.bearer_token.is_some(), "--bearer-token"),
        (
            args.cluster.bearer_token_file.is_some(),
            "--bearer-token-file",
        ),
        (args.cluster.ca_cert.is_some(), "--ca-cert"),
        (args.cluster.client_cert.is_some(), "--client-cert"),
        (args.cluster.aws_region.is_some(), "--aws-region"),
    ]
    .into_iter()
    .find_map(|(given, option)| given.then_some(option))
}

/// The one authentication scheme the options ask for, with every file read.
fn cluster_auth(
    args: &ClusterArgs,
    password_env: Option<Secret>,
) -> Result<Option<ClusterAuth>, BackendError> {
    let password = one_of(
        "password",
        (password_env, PASSWORD_ENV),
        args.password_file.as_deref(),
        "--password-file",
    )?;
    let api_key = one_of(
        "API key",
        (args.api_key.clone(), "--api-key"),
        args.api_key_file.as_deref(),
        "--api-key-file",
    )?;
    let bearer = one_of(
        "bearer token",
        (args.bearer_token.clone(), "--bearer-token"),
        args.bearer_token_file.as_deref(),
        "--bearer-token-file",
    )?;

    let mut schemes: Vec<(&'static str, ClusterAuth)> = Vec::new();
    // The store takes a user and password in the URL as basic auth; beside
    // any other credential one of them would be dropped without a word.
    let in_url = args.url.as_deref().is_some_and(url_has_userinfo);
    if in_url {
        if args.username.is_some() || password.is_some() {
            return Err(BackendError::GivenTwice {
                what: "basic auth user and password",
                first: "the userinfo of --url",
                second: if args.username.is_some() {
                    "--username"
                } else {
                    "the password (BACKUP_ACTUATOR_PASSWORD or --password-file)"
                },
            });
        }
        let other = [
            (api_key.is_some(), "an API key (--api-key)"),
            (bearer.is_some(), "a bearer token (--bearer-token)"),
            (args.aws_region.is_some(), "AWS SigV4 (--aws-region)"),
        ]
        .into_iter()
        .find_map(|(given, what)| given.then_some(what));
        if let Some(second) = other {
            return Err(BackendError::ConflictingAuth {
                first: "basic auth (user:password in --url)",
                second,
            });
        }
    }
    match (args.username.clone(), password) {
        (Some(user), Some(password)) => schemes.push((
            "basic auth (--username)",
            ClusterAuth::Basic { user, password },
        )),
        (Some(_), None) => {
            return Err(BackendError::IncompleteBasicAuth {
                given: "--username",
            })
        }
        (None, Some(_)) => {
            return Err(BackendError::IncompleteBasicAuth {
                given: "the password",
            })
        }
        (None, None) => {}
    }
    if let Some(key) = api_key {
        schemes.push(("an API key (--api-key)", ClusterAuth::ApiKey(key)));
    }
    if let Some(token) = bearer {
        schemes.push((
            "a bearer token (--bearer-token)",
            ClusterAuth::Bearer(token),
        ));
    }
    if let Some(region) = &args.aws_region {
        if cfg!(not(feature = "aws-auth")) {
            return Err(BackendError::AwsAuthNotBuilt);
        }
        if args.client_cert.is_some() {
            // The transport has one credentials slot: SigV4 would replace
            // the certificate without a word.
            return Err(BackendError::ConflictingAuth {
                first: "a client certificate (--client-cert)",
                second: "AWS SigV4 (--aws-region)",
            });
        }
        schemes.push((
            "AWS SigV4 (--aws-region)",
            ClusterAuth::AwsSigV4 {
                region: region.clone(),
            },
        ));
    }
    match schemes.len() {
        0 | 1 => Ok(schemes.pop().map(|(_, auth)| auth)),
        _ => Err(BackendError::ConflictingAuth {
            first: schemes[0].0,
            second: schemes[1].0,
        }),
    }
}

/// Whether a cluster URL carries a user or password. A URL that does not
/// parse is the store's to refuse.
fn url_has_userinfo(url: &str) -> bool {
    reqwest::Url::parse(url.trim())
        .is_ok_and(|url| !url.username().is_empty() || url.password().is_some())
}

/// A credential that may come from a value or a file, but not both.
fn one_of(
    what: &'static str,
    (value, value_source): (Option<Secret>, &'static str),
    file: Option<&std::path::Path>,
    file_option: &'static str,
) -> Result<Option<Secret>, BackendError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(BackendError::GivenTwice {
            what,
            first: value_source,
            second: file_option,
        }),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(path)) => Ok(Some(read_secret(path, what)?)),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(list: &[&str]) -> ServeArgs {
        let argv = ["backup-actuator", "serve"].iter().chain(list);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Serve(args) => args,
            other => panic!("not serve: {other:?}"),
        }
    }

    fn build(list: &[&str], password: Option<&str>) -> Result<String, String> {
        build_store(&args(list), password.map(|p| Secret::from(p.to_owned())))
            .map(|store| store.describe())
            .map_err(|err| err.to_string())
    }

    const ES: [&str; 4] = [
        "--backend",
        "elasticsearch",
        "--url",
        "http://es.example:9200",
    ];
    const OS: [&str; 4] = ["--backend", "opensearch", "--url", "http://os.example:9200"];

    fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(more).copied().collect()
    }

    #[test]
    fn cluster_backends_are_built_from_the_url() {
        assert_eq!(
            build(&ES, None).unwrap(),
            "Elasticsearch at http://es.example:9200"
        );
        assert_eq!(
            build(&OS, None).unwrap(),
            "OpenSearch at http://os.example:9200"
        );
    }

    #[test]
    fn missing_url_is_a_clear_error() {
        let err = build(&["--backend", "opensearch"], None).unwrap_err();
        assert!(err.starts_with("--backend opensearch needs --url"), "{err}");
    }

    /// Every scheme alone is accepted and is what the store sends: the
    /// `Authorization` header of its first request to an emulated cluster.
    #[tokio::test]
    async fn every_scheme_alone_is_accepted() {
        use backup_actuator_testkit::{EmulatedCluster, Flavor};

        // (backend, flavor, the scheme's flags, the password, what is sent)
        type Case<'a> = (&'a str, Flavor, &'a [&'a str], Option<&'a str>, &'a str);
        let cases: [Case<'_>; 3] = [
            (
                "elasticsearch",
                Flavor::Elasticsearch8_15,
                &["--username", "elastic"],
                Some("pw"),
                // base64 of `elastic:pw`
                "Basic ZWxhc3RpYzpwdw==",
            ),
            (
                "elasticsearch",
                Flavor::Elasticsearch8_15,
                &["--api-key", "a2V5"],
                None,
                "ApiKey a2V5",
            ),
            (
                "opensearch",
                Flavor::OpenSearch2,
                &["--bearer-token", "tok"],
                None,
                "Bearer tok",
            ),
        ];
        for (backend, flavor, scheme, password, sent) in cases {
            let cluster = EmulatedCluster::start(flavor).await.unwrap();
            let url = cluster.url();
            let list = with(&["--backend", backend, "--url", &url], scheme);
            let store = build_store(&args(&list), password.map(|p| Secret::from(p.to_owned())))
                .unwrap_or_else(|err| panic!("{scheme:?}: {err}"));
            let _ = store.find_snapshots("backups", "x_*").await;
            let requests = cluster.requests();
            let first = requests.first().expect("a request was sent");
            assert_eq!(
                first.headers.get("authorization").unwrap(),
                sent,
                "{scheme:?}"
            );
            cluster.shutdown().await;
        }
    }

    #[test]
    fn two_schemes_conflict() {
        let err = build(
            &with(&ES, &["--username", "u", "--api-key", "k"]),
            Some("pw"),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "conflicting cluster authentication: basic auth (--username) and an API key (--api-key); configure one"
        );
        let err = build(&with(&OS, &["--bearer-token", "t"]), Some("pw")).unwrap_err();
        assert!(err.contains("only the password is set"), "{err}");
        let err = build(&with(&ES, &["--api-key", "k", "--bearer-token", "t"]), None).unwrap_err();
        assert!(
            err.starts_with("conflicting cluster authentication"),
            "{err}"
        );
    }

    #[test]
    fn userinfo_in_the_url_and_any_other_credential_stop_the_program() {
        let dir = std::env::temp_dir().join(format!("ba-twice-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "from-a-file\n").unwrap();
        let file = file.to_str().unwrap();
        let url = [
            "--backend",
            "elasticsearch",
            "--url",
            "http://a:b4321@es.example:9200",
        ];
        let others: [(&[&str], Option<&str>, &str); 7] = [
            (&["--username", "c"], Some("p"), "given twice"),
            (&["--username", "c"], None, "given twice"),
            (&[], Some("p"), "given twice"),
            (&["--password-file", file], None, "given twice"),
            (
                &["--api-key", "k"],
                None,
                "conflicting cluster authentication",
            ),
            (
                &["--api-key-file", file],
                None,
                "conflicting cluster authentication",
            ),
            (
                &["--bearer-token", "t"],
                None,
                "conflicting cluster authentication",
            ),
        ];
        for (more, password, expected) in others {
            let err = build(&with(&url, more), password).unwrap_err();
            assert!(err.contains(expected), "{more:?}: {err}");
            assert!(err.contains("--url"), "{more:?}: {err}");
            assert!(!err.contains("b4321"), "{err}");
        }
        let err = build(&with(&url, &["--bearer-token-file", file]), None).unwrap_err();
        assert!(err.contains("conflicting cluster authentication"), "{err}");
        assert!(build(&url, None).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn half_of_basic_auth_is_an_error() {
        let err = build(&with(&ES, &["--username", "elastic"]), None).unwrap_err();
        assert!(err.contains("only --username is set"), "{err}");
    }

    #[test]
    fn api_key_on_opensearch_is_an_error() {
        let err = build(&with(&OS, &["--api-key", "k"]), None).unwrap_err();
        assert!(
            err.starts_with("--api-key is an Elasticsearch API key"),
            "{err}"
        );
    }

    #[test]
    fn api_key_on_opensearch_is_refused_before_the_url_is_read() {
        let err = build(
            &[
                "--backend",
                "opensearch",
                "--url",
                "not a url",
                "--api-key",
                "k",
            ],
            None,
        )
        .unwrap_err();
        assert!(
            err.starts_with("--api-key is an Elasticsearch API key"),
            "{err}"
        );
    }

    #[test]
    fn a_credential_given_twice_is_an_error() {
        let err = build(
            &with(&ES, &["--username", "u", "--password-file", "/nonexistent"]),
            Some("pw"),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "the password is given twice, by BACKUP_ACTUATOR_PASSWORD and by --password-file; give it once"
        );
    }

    #[test]
    fn unreadable_credential_file_names_the_path() {
        let err = build(&with(&ES, &["--api-key-file", "/nonexistent/key"]), None).unwrap_err();
        assert!(
            err.starts_with("cannot read the API key file /nonexistent/key: "),
            "{err}"
        );
        let err = build(&with(&ES, &["--ca-cert", "/nonexistent/ca.pem"]), None).unwrap_err();
        assert!(
            err.starts_with("cannot read the CA certificate file /nonexistent/ca.pem: "),
            "{err}"
        );
    }

    #[test]
    fn cluster_options_with_the_memory_backend_are_an_error() {
        let err = build(&["--username", "u"], None).unwrap_err();
        assert_eq!(
            err,
            "--username only applies to --backend elasticsearch or opensearch, not memory"
        );
        assert!(build(&[], Some("pw")).is_err());
        assert_eq!(build(&[], None).unwrap().split(' ').next(), Some("memory"));
    }

    #[cfg(not(feature = "aws-auth"))]
    #[test]
    fn aws_region_without_the_feature_says_so() {
        let err = build(&with(&OS, &["--aws-region", "eu-west-1"]), None).unwrap_err();
        assert!(err.contains("built without the aws-auth feature"), "{err}");
    }

    #[cfg(feature = "aws-auth")]
    #[test]
    fn aws_region_conflicts_with_header_auth_and_client_certificates() {
        let err = build(
            &with(&OS, &["--aws-region", "eu-west-1", "--bearer-token", "t"]),
            None,
        )
        .unwrap_err();
        assert!(
            err.starts_with("conflicting cluster authentication"),
            "{err}"
        );
        let err = build(
            &with(
                &OS,
                &["--aws-region", "eu-west-1", "--client-cert", "/x.pem"],
            ),
            None,
        )
        .unwrap_err();
        assert!(
            err.starts_with("conflicting cluster authentication"),
            "{err}"
        );
    }

    #[test]
    fn url_userinfo_never_appears_in_the_description() {
        let described = build(
            &[
                "--backend",
                "elasticsearch",
                "--url",
                "https://elastic:s3cr3t@es.example:9200",
            ],
            None,
        )
        .unwrap();
        assert_eq!(described, "Elasticsearch at https://es.example:9200");
    }
}
