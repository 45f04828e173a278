//! The one public store, [`ClusterStore`], and its builder.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backup_actuator_core::{BackupId, BackupPlan, Product, SnapshotPart, SnapshotRecord};
use backup_actuator_store::{SnapshotStore, StoreError};

use crate::client::Client;
use crate::config::{ConfigError, HeaderAuth, Pem, Secret, Settings};
use crate::dialect::ClusterInfo;
use crate::restore::{
    RestoreError, RestoreEvent, RestoreOptions, RestorePlan, RestoreSelection, RestoredIndex,
};
use crate::verify::{VerifyError, VerifyEvent, VerifyOptions, VerifyReport};

/// A [`SnapshotStore`] on an Elasticsearch (7.10 and later, 8.x, 9.x) or
/// OpenSearch (1.x, 2.x, 3.x, Amazon OpenSearch Service) cluster over
/// HTTP(S).
///
/// The product given to [`ClusterStore::builder`] decides which settings
/// are allowed (an API key is Elasticsearch-only) and names the product in
/// messages until the cluster has answered. The product and version the
/// cluster reports on `GET /`, read once on first use, decide which
/// parameters are sent; if it turns out to be the other product, a warning
/// is logged and that product's dialect is used. Clones share one
/// connection pool and the cached version.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use backup_actuator_core::Product;
/// use backup_actuator_search::ClusterStore;
/// use backup_actuator_store::SnapshotStore;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = ClusterStore::builder(Product::Elasticsearch, "https://es.example:9200")
///     .api_key("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==")
///     .ca_certificate_pem(std::fs::read("/etc/es/ca.pem")?)
///     .request_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(store.describe(), "Elasticsearch at https://es.example:9200");
/// let store: Arc<dyn SnapshotStore> = Arc::new(store);
/// let found = store.find_snapshots("backups", "camunda_optimize_1_*").await?;
/// # let _ = found;
///
/// let store = ClusterStore::builder(Product::OpenSearch, "https://admin:admin@opensearch.example:9200").build()?;
/// assert_eq!(store.describe(), "OpenSearch at https://opensearch.example:9200");
/// store.delete_snapshots("backups", &["camunda_optimize_1_8.6.0_part_1_of_2".to_string()]).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ClusterStore {
    client: Arc<Client>,
}

impl ClusterStore {
    /// Starts configuring a store for the `product` cluster at `url`
    /// (`http(s)://host:port`, optionally with a path prefix).
    pub fn builder(product: Product, url: impl Into<String>) -> ClusterStoreBuilder {
        ClusterStoreBuilder {
            settings: Settings::new(product, url.into()),
        }
    }

    /// The cluster's product and version, read from `GET /` on first use
    /// and kept; a failed read is retried by the next call.
    ///
    /// ```no_run
    /// use backup_actuator_core::Product;
    /// use backup_actuator_search::ClusterStore;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = ClusterStore::builder(Product::OpenSearch, "http://localhost:9200").build()?;
    /// let info = store.cluster_info().await?;
    /// println!("{} {}", info.product, info.number);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cluster_info(&self) -> Result<ClusterInfo, StoreError> {
        self.client.cluster_info().await.cloned()
    }

    /// What restoring backup `id` from `repository` would do (SPEC §12),
    /// changing nothing: fails unless the backup is COMPLETE, then lists
    /// each part's indices and which of them exist now. See
    /// [`RestorePlan`], and the crate docs for the requests.
    ///
    /// ```no_run
    /// use backup_actuator_core::{BackupId, BackupPlan, Product};
    /// use backup_actuator_search::{ClusterStore, RestoreOptions};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = ClusterStore::builder(Product::Elasticsearch, "http://localhost:9200").build()?;
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
        self.client
            .restore_plan(repository, plan, id, &RestoreSelection::new())
            .await
    }

    /// [`Self::restore_plan`] for some of the backup's indices and/or under
    /// new names (SPEC §12's `--indices`, `--rename-pattern`): fails if the
    /// selection names an index the backup does not hold or renames two
    /// indices onto one name; `existing` then lists the new names that
    /// exist, and [`Self::restore_backup`] sends the rename to the engine.
    ///
    /// ```no_run
    /// use backup_actuator_core::{BackupId, BackupPlan, Product};
    /// use backup_actuator_search::{ClusterStore, RestoreSelection};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = ClusterStore::builder(Product::OpenSearch, "http://localhost:9200").build()?;
    /// let plan = BackupPlan::optimize("8.6.0")?;
    /// let selection = RestoreSelection::new()
    ///     .indices(["optimize-report"])
    ///     .rename("(.+)", "restored-$1")?;
    /// let restore = store
    ///     .restore_plan_for("backups", &plan, BackupId::new(7).unwrap(), &selection)
    ///     .await?;
    /// assert_eq!(restore.targets(), ["restored-optimize-report"]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn restore_plan_for(
        &self,
        repository: &str,
        plan: &BackupPlan,
        id: BackupId,
        selection: &RestoreSelection,
    ) -> Result<RestorePlan, RestoreError> {
        self.client
            .restore_plan(repository, plan, id, selection)
            .await
    }

    /// Restores `plan` (from [`Self::restore_plan`]): refuses indices that
    /// exist unless [`RestoreOptions::delete_existing`], which deletes
    /// exactly those first; then restores the parts in order with
    /// `include_global_state: false`, waiting for each part's indices to
    /// have their primaries active, reporting to `progress`; ends by
    /// checking every restored index exists and is at least yellow, and
    /// returns them. The example is on [`Self::restore_plan`].
    pub async fn restore_backup(
        &self,
        plan: &RestorePlan,
        options: &RestoreOptions,
        progress: &mut (dyn FnMut(RestoreEvent<'_>) + Send),
    ) -> Result<Vec<RestoredIndex>, RestoreError> {
        self.client.restore_backup(plan, options, progress).await
    }
}

/// Verify (SPEC §13): the newest COMPLETE backup and the restore drill.
impl ClusterStore {
    /// The newest COMPLETE backup of `plan` in `repository` (by the
    /// earliest start of its parts, then by id), or `None` when there is
    /// none: what `restore latest` and `verify latest` take.
    ///
    /// ```no_run
    /// use backup_actuator_core::{BackupPlan, Product};
    /// use backup_actuator_search::ClusterStore;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = ClusterStore::builder(Product::OpenSearch, "http://localhost:9200").build()?;
    /// let plan = BackupPlan::optimize("8.6.0")?;
    /// match store.newest_complete_backup("backups", &plan).await? {
    ///     Some(id) => println!("newest COMPLETE backup: {id}"),
    ///     None => println!("no COMPLETE backup"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn newest_complete_backup(
        &self,
        repository: &str,
        plan: &BackupPlan,
    ) -> Result<Option<BackupId>, StoreError> {
        self.client.newest_complete_backup(repository, plan).await
    }

    /// A restore drill of `plan` (from [`Self::restore_plan`], on this or
    /// another cluster that has the repository registered) on this
    /// cluster, never touching the live indices: refuses if a scratch name
    /// ([`scratch_index_name`](crate::scratch_index_name)) is taken, or if
    /// the largest part does not fit in the data nodes' free disk; then,
    /// part after part, restores the part under scratch names (no aliases,
    /// no global state, no replicas), waits until every primary has
    /// recovered, reads each index back (`_count` and a search), and
    /// deletes its scratch indices.
    ///
    /// The scratch indices are deleted whatever happens: on success, on
    /// failure, and when `interrupt` completes first (then the result is
    /// [`VerifyError::Interrupted`]). A shard that fails to restore ends the
    /// drill at once with [`VerifyError::NotRestorable`], naming the index,
    /// the shard and the engine's reason.
    ///
    /// ```no_run
    /// use backup_actuator_core::{BackupId, BackupPlan, Product};
    /// use backup_actuator_search::{ClusterStore, VerifyOptions};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let production = ClusterStore::builder(Product::OpenSearch, "http://prod:9200").build()?;
    /// let drill = ClusterStore::builder(Product::OpenSearch, "http://drill:9200").build()?;
    /// let plan = BackupPlan::optimize("8.6.0")?;
    /// let backup = production.restore_plan("backups", &plan, BackupId::new(7).unwrap()).await?;
    /// // A command line passes Ctrl-C here; this drill is never interrupted.
    /// let never = std::future::pending::<()>();
    /// match drill.verify_backup(&backup, &VerifyOptions::new(), &mut |_| {}, never).await {
    ///     Ok(report) => print!("{report}"),
    ///     Err(err) if err.is_not_restorable() => eprintln!("{err}"),
    ///     Err(err) => return Err(err.into()),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_backup(
        &self,
        plan: &RestorePlan,
        options: &VerifyOptions,
        progress: &mut (dyn FnMut(VerifyEvent<'_>) + Send),
        interrupt: impl Future<Output = ()> + Send,
    ) -> Result<VerifyReport, VerifyError> {
        let started = Instant::now();
        let repository = options.repository_name().unwrap_or(plan.repository());
        let mut interrupt = std::pin::pin!(interrupt);
        // Nothing is created before the drill proper: no clean-up needed.
        let room = tokio::select! {
            room = self.client.verify_preflight(plan, repository, options) => room?,
            () = &mut interrupt => return Err(VerifyError::Interrupted),
        };
        if let Some(room) = &room {
            progress(VerifyEvent::RoomChecked {
                needed: room.needed,
                free: room.free,
            });
        }
        let mut indices = Vec::new();
        let mut created = Vec::new();
        let outcome = tokio::select! {
            outcome = self.client.verify_parts(plan, repository, options, progress, &mut indices, &mut created) => outcome,
            () = &mut interrupt => Err(VerifyError::Interrupted),
        };
        // What this drill may have made, whatever it got to (deleting one
        // that does not exist is a no-op), and never another drill's.
        if let Err((names, cause)) = self.client.delete_scratch(&created).await {
            return Err(VerifyError::ScratchLeft {
                outcome: outcome.err().map(Box::new),
                names,
                cause,
            });
        }
        outcome?;
        Ok(VerifyReport {
            backup_id: plan.backup_id(),
            repository: repository.to_owned(),
            needed_bytes: room.as_ref().map(|r| r.needed),
            free_bytes: room.as_ref().map(|r| r.free),
            indices,
            took: started.elapsed(),
        })
    }
}

#[async_trait]
impl SnapshotStore for ClusterStore {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.client.find_snapshots(repository, pattern).await
    }

    async fn find_snapshot_states(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.client.find_snapshot_states(repository, pattern).await
    }

    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.client.create_snapshot(repository, part).await
    }

    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        self.client.delete_snapshots(repository, names).await
    }

    async fn check_health(&self, repository: &str) -> Result<(), StoreError> {
        self.client.check_repository(repository).await
    }

    fn describe(&self) -> String {
        self.client.describe()
    }
}

/// Configures a [`ClusterStore`]; made by [`ClusterStore::builder`].
/// Settings only one product has are refused by [`Self::build`] for the
/// other. `Debug` never shows credentials.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_core::Product;
/// use backup_actuator_search::{ClusterStore, ConfigError};
///
/// let builder = ClusterStore::builder(Product::Elasticsearch, "http://localhost:9200")
///     .basic_auth("elastic", "changeme");
/// assert!(!format!("{builder:?}").contains("changeme"));
/// let store = builder.build().unwrap();
///
/// let store = ClusterStore::builder(Product::OpenSearch, "http://localhost:9200")
///     .bearer_token("eyJhbGciOi...")
///     .request_timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert!(!format!("{store:?}").contains("eyJ"));
///
/// let refused = ClusterStore::builder(Product::OpenSearch, "http://localhost:9200")
///     .api_key("a2V5")
///     .build();
/// assert!(matches!(refused, Err(ConfigError::ApiKeyNotSupported { product: Product::OpenSearch })));
/// ```
#[derive(Clone, Debug)]
pub struct ClusterStoreBuilder {
    settings: Settings,
}

impl ClusterStoreBuilder {
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

    /// An Elasticsearch API key (`Authorization: ApiKey …`), given as the
    /// `encoded` value of the create-API-key answer (base64 of
    /// `id:api_key`). Elasticsearch only: OpenSearch has no API keys, and
    /// [`Self::build`] refuses one for it with
    /// [`ConfigError::ApiKeyNotSupported`].
    pub fn api_key(mut self, encoded: impl Into<String>) -> Self {
        self.settings.auth = Some(HeaderAuth::ApiKey(Secret(encoded.into())));
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
        self.settings.ca_certificate_pem = Some(Pem(pem.into()));
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

    /// Sign requests with AWS SigV4 (service `es`, which Amazon OpenSearch
    /// Service uses for both engines) with credentials read from
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
    /// when the store is built. Not for OpenSearch Serverless, which has
    /// no snapshot API.
    #[cfg(feature = "aws-auth")]
    pub fn aws_sigv4(mut self, region: impl Into<String>) -> Self {
        self.settings.aws_sigv4 = Some(crate::config::AwsSigV4 {
            region: region.into(),
            credentials: None,
        });
        self
    }

    /// Sign requests with AWS SigV4 (service `es`), with credentials from
    /// a provider (for example one made by `aws-config`, which refreshes
    /// them).
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

    /// Checks the settings and builds the store. Nothing is sent until the
    /// first operation. Settings the product does not have are refused
    /// first, before the URL and certificates are read.
    pub fn build(self) -> Result<ClusterStore, ConfigError> {
        self.settings.check_product_options()?;
        Ok(ClusterStore {
            client: Arc::new(Client::new(self.settings)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_is_refused_for_opensearch_and_taken_for_elasticsearch() {
        let refused = ClusterStore::builder(Product::OpenSearch, "not even a URL")
            .api_key("a2V5")
            .build();
        assert_eq!(
            refused.unwrap_err(),
            ConfigError::ApiKeyNotSupported {
                product: Product::OpenSearch
            }
        );
        let store = ClusterStore::builder(Product::Elasticsearch, "http://es.example:9200")
            .api_key("a2V5")
            .build()
            .unwrap();
        assert_eq!(store.describe(), "Elasticsearch at http://es.example:9200");
    }

    /// Every setting is taken for both products, and of the three
    /// credentials given (URL userinfo, Basic, then a bearer token) the
    /// last explicit one is the one sent: an explicit credential replaces
    /// the one before it and wins over the URL's userinfo.
    #[tokio::test]
    async fn every_other_setting_is_taken_for_both_products() {
        use backup_actuator_testkit::{EmulatedCluster, Flavor};

        for (product, flavor) in [
            (Product::Elasticsearch, Flavor::Elasticsearch8_15),
            (Product::OpenSearch, Flavor::OpenSearch2),
        ] {
            let cluster = EmulatedCluster::start(flavor).await.unwrap();
            let address = cluster.url().replace("http://", "");
            let store = ClusterStore::builder(product, format!("http://u:p@{address}/prefix"))
                .basic_auth("user", "password")
                .bearer_token("token")
                .request_timeout(Duration::from_secs(30))
                .page_size(0)
                .build()
                .unwrap();
            assert_eq!(
                store.describe(),
                format!("{product} at http://{address}/prefix")
            );
            // The emulator has no `/prefix`: the answer is an error, but the
            // request shows what was sent.
            let _ = store.find_snapshots("backups", "x_*").await;
            let sent = cluster.requests();
            assert!(!sent.is_empty(), "{product}: nothing was sent");
            for request in &sent {
                assert!(request.path.starts_with("/prefix/"), "{}", request.path);
                assert_eq!(
                    request.headers.get("authorization").unwrap(),
                    "Bearer token",
                    "{product}"
                );
            }
            cluster.shutdown().await;
        }
    }
}
