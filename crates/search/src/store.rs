//! The two public stores and their builders.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backup_actuator_core::{BackupId, BackupPlan, Product, SnapshotPart, SnapshotRecord};
use backup_actuator_store::{SnapshotStore, StoreError};

use crate::client::Client;
use crate::config::{ConfigError, HeaderAuth, Secret, Settings};
use crate::dialect::ClusterInfo;
use crate::restore::{RestoreError, RestoreEvent, RestoreOptions, RestorePlan, RestoredIndex};

/// Builder methods both products share.
macro_rules! common_builder_methods {
    () => {
        /// Basic authentication (`Authorization: Basic …`). Userinfo in the
        /// URL (`https://user:password@host:9200`) is used the same way when
        /// no other credentials are set.
        pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
            self.settings.auth = Some(HeaderAuth::Basic {
                user: user.into(),
                password: Secret(password.into()),
            });
            self
        }

        /// A bearer token (`Authorization: Bearer …`): OAuth2, service
        /// account or JWT tokens.
        pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
            self.settings.auth = Some(HeaderAuth::Bearer(Secret(token.into())));
            self
        }

        /// Trust the CA certificate(s) in this PEM, in addition to the
        /// system's roots. Host names are always verified.
        pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.settings.ca_certificate_pem = Some(crate::config::Pem(pem.into()));
            self
        }

        /// Authenticate with a client certificate: one PEM holding the
        /// private key (PKCS#8, PKCS#1 or SEC1) and the certificate chain.
        /// It can be combined with basic auth, an API key or a bearer token.
        pub fn client_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.settings.client_certificate_pem = Some(Secret(pem.into()));
            self
        }

        /// The time one request may take, from connecting to the end of the
        /// answer. Past it, the operation fails with
        /// [`StoreError::Unreachable`]. Default: no limit.
        pub fn request_timeout(mut self, timeout: Duration) -> Self {
            self.settings.request_timeout = Some(timeout);
            self
        }

        /// Sign requests with AWS SigV4 (service `es`) for Amazon OpenSearch
        /// Service, with credentials read from `AWS_ACCESS_KEY_ID`,
        /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` when the store is
        /// built. Not for OpenSearch Serverless, which has no snapshot API.
        #[cfg(feature = "aws-auth")]
        pub fn aws_sigv4(mut self, region: impl Into<String>) -> Self {
            self.settings.aws_sigv4 = Some(crate::config::AwsSigV4 {
                region: region.into(),
                credentials: None,
            });
            self
        }

        /// Sign requests with AWS SigV4 (service `es`), with credentials from
        /// a provider (for example one made by `aws-config`, which refreshes them).
        #[cfg(feature = "aws-auth")]
        pub fn aws_sigv4_with_credentials(
            mut self,
            region: impl Into<String>,
            credentials: aws_credential_types::provider::SharedCredentialsProvider,
        ) -> Self {
            self.settings.aws_sigv4 = Some(crate::config::AwsSigV4 {
                region: region.into(),
                credentials: Some(credentials),
            });
            self
        }

        /// How many snapshots to ask for per page where the cluster pages
        /// (Elasticsearch ≥ 7.14), so that one answer stays small.
        /// Default [`DEFAULT_PAGE_SIZE`](crate::DEFAULT_PAGE_SIZE).
        pub fn page_size(mut self, snapshots: u32) -> Self {
            self.settings.page_size = snapshots.max(1);
            self
        }
    };
}

/// Trait implementation and accessors both stores share.
macro_rules! store_impl {
    ($store:ident) => {
        impl $store {
            /// The cluster's product and version, read from `GET /` on first
            /// use and kept; a failed read is retried by the next call.
            pub async fn cluster_info(&self) -> Result<ClusterInfo, StoreError> {
                self.client.cluster_info().await.cloned()
            }

            /// What restoring backup `id` from `repository` would do (SPEC §12), changing
            /// nothing: fails unless the backup is COMPLETE, then lists each part's indices
            /// and which of them exist now. See [`RestorePlan`], and the crate docs for
            /// the requests.
            ///
            /// ```no_run
            #[doc = concat!("use backup_actuator_search::{", stringify!($store), ", RestoreOptions};")]
            /// use backup_actuator_core::{BackupId, BackupPlan};
            ///
            /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
            #[doc = concat!("let store = ", stringify!($store), "::builder(\"http://localhost:9200\").build()?;")]
            /// let plan = BackupPlan::optimize("8.6.0")?;
            /// let restore = store.restore_plan("backups", &plan, BackupId::new(7).unwrap()).await?;
            /// print!("{restore}");
            /// let options = RestoreOptions::new().delete_existing(true);
            /// let restored = store.restore_backup(&restore, &options, &mut |event| println!("{event:?}")).await?;
            /// assert_eq!(restored.len(), restore.indices().len());
            /// # Ok(())
            /// # }
            /// ```
            pub async fn restore_plan(
                &self,
                repository: &str,
                plan: &BackupPlan,
                id: BackupId,
            ) -> Result<RestorePlan, RestoreError> {
                self.client.restore_plan(repository, plan, id).await
            }

            /// Restores `plan` (from [`Self::restore_plan`]): refuses indices that exist
            /// unless [`RestoreOptions::delete_existing`], which deletes exactly those first;
            /// then restores the parts in order with `include_global_state: false`, waiting
            /// for each part's indices to have their primaries active, reporting to
            /// `progress`; ends by checking every restored index exists and is at least
            /// yellow, and returns them.
            pub async fn restore_backup(
                &self,
                plan: &RestorePlan,
                options: &RestoreOptions,
                progress: &mut (dyn FnMut(RestoreEvent<'_>) + Send),
            ) -> Result<Vec<RestoredIndex>, RestoreError> {
                self.client.restore_backup(plan, options, progress).await
            }
        }

        #[async_trait]
        impl SnapshotStore for $store {
            async fn find_snapshots(
                &self,
                repository: &str,
                pattern: &str,
            ) -> Result<Vec<SnapshotRecord>, StoreError> {
                self.client.find_snapshots(repository, pattern).await
            }

            async fn create_snapshot(
                &self,
                repository: &str,
                part: &SnapshotPart,
            ) -> Result<(), StoreError> {
                self.client.create_snapshot(repository, part).await
            }

            async fn delete_snapshots(
                &self,
                repository: &str,
                names: &[String],
            ) -> Result<(), StoreError> {
                self.client.delete_snapshots(repository, names).await
            }

            async fn check_health(&self, repository: &str) -> Result<(), StoreError> {
                self.client.check_repository(repository).await
            }

            fn describe(&self) -> String {
                self.client.describe()
            }
        }
    };
}

/// A [`SnapshotStore`] on an Elasticsearch cluster (7.10 and later, 8.x,
/// 9.x) over HTTP(S).
///
/// Product and version are read once from `GET /` and decide which
/// parameters are sent. If the cluster turns out to be OpenSearch, a warning
/// is logged and the OpenSearch dialect is used. Clones share one connection
/// pool and the cached version.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use backup_actuator_search::ElasticsearchStore;
/// use backup_actuator_store::SnapshotStore;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = ElasticsearchStore::builder("https://es.example:9200")
///     .api_key("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
///     .ca_certificate_pem(std::fs::read("/etc/es/ca.pem")?)
///     .request_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(store.describe(), "Elasticsearch at https://es.example:9200");
/// let store: Arc<dyn SnapshotStore> = Arc::new(store);
/// let found = store.find_snapshots("backups", "camunda_optimize_1_*").await?;
/// # let _ = found;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ElasticsearchStore {
    client: Arc<Client>,
}

impl ElasticsearchStore {
    /// Starts configuring a store for the cluster at `url`
    /// (`http(s)://host:port`, optionally with a path prefix).
    pub fn builder(url: impl Into<String>) -> ElasticsearchStoreBuilder {
        ElasticsearchStoreBuilder {
            settings: Settings::new(Product::Elasticsearch, url.into()),
        }
    }
}

store_impl!(ElasticsearchStore);

/// Configures an [`ElasticsearchStore`]. `Debug` never shows credentials.
///
/// ```
/// use backup_actuator_search::ElasticsearchStore;
///
/// let builder = ElasticsearchStore::builder("http://localhost:9200").basic_auth("elastic", "changeme");
/// assert!(!format!("{builder:?}").contains("changeme"));
/// let store = builder.build().unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct ElasticsearchStoreBuilder {
    settings: Settings,
}

impl ElasticsearchStoreBuilder {
    common_builder_methods!();

    /// An Elasticsearch API key (`Authorization: ApiKey …`), given as the
    /// `encoded` value of the create-API-key answer (base64 of `id:api_key`).
    pub fn api_key(mut self, encoded: impl Into<String>) -> Self {
        self.settings.auth = Some(HeaderAuth::ApiKey(Secret(encoded.into())));
        self
    }

    /// Checks the settings and builds the store. Nothing is sent until the
    /// first operation.
    pub fn build(self) -> Result<ElasticsearchStore, ConfigError> {
        Ok(ElasticsearchStore {
            client: Arc::new(Client::new(self.settings)?),
        })
    }
}

/// A [`SnapshotStore`] on an OpenSearch cluster (1.x, 2.x, 3.x, and Amazon
/// OpenSearch Service) over HTTP(S).
///
/// Product and version are read once from `GET /`. If the cluster turns out
/// to be Elasticsearch, a warning is logged and the Elasticsearch dialect is
/// used. Clones share one connection pool and the cached version.
///
/// ```no_run
/// use backup_actuator_search::OpenSearchStore;
/// use backup_actuator_store::SnapshotStore;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = OpenSearchStore::builder("https://admin:admin@opensearch.example:9200").build()?;
/// assert_eq!(store.describe(), "OpenSearch at https://opensearch.example:9200");
/// store.delete_snapshots("backups", &["camunda_optimize_1_8.6.0_part_1_of_2".to_string()]).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct OpenSearchStore {
    client: Arc<Client>,
}

impl OpenSearchStore {
    /// Starts configuring a store for the cluster at `url`
    /// (`http(s)://host:port`, optionally with a path prefix).
    pub fn builder(url: impl Into<String>) -> OpenSearchStoreBuilder {
        OpenSearchStoreBuilder {
            settings: Settings::new(Product::OpenSearch, url.into()),
        }
    }
}

store_impl!(OpenSearchStore);

/// Configures an [`OpenSearchStore`]. `Debug` never shows credentials.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_search::OpenSearchStore;
///
/// let store = OpenSearchStore::builder("http://localhost:9200")
///     .bearer_token("eyJhbGciOi...")
///     .request_timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert!(!format!("{store:?}").contains("eyJ"));
/// ```
#[derive(Clone, Debug)]
pub struct OpenSearchStoreBuilder {
    settings: Settings,
}

impl OpenSearchStoreBuilder {
    common_builder_methods!();

    /// Checks the settings and builds the store. Nothing is sent until the
    /// first operation.
    pub fn build(self) -> Result<OpenSearchStore, ConfigError> {
        Ok(OpenSearchStore {
            client: Arc::new(Client::new(self.settings)?),
        })
    }
}
