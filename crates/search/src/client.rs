//! The one implementation behind both stores: requests, dialect, answers.

use std::fmt;

use backup_actuator_core::{Product, SnapshotPart, SnapshotRecord};
use backup_actuator_store::{Operation, StoreError};
use opensearch::http::headers::HeaderMap;
use opensearch::http::transport::Transport;
use opensearch::http::{Method, Url};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::sync::OnceCell;

use crate::config::{ConfigError, Settings};
use crate::dialect::ClusterInfo;
use crate::error::{missing_snapshot_name, unreachable, unreadable, ErrorAnswer};
use crate::model::{
    AcknowledgedResponse, CreateBody, CreateResponse, GetSnapshotsResponse, RootResponse,
    SnapshotInfo,
};

/// Path segment characters sent as they are: RFC 3986 unreserved.
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// A name pattern keeps its `*` wildcards readable.
const PATTERN: &AsciiSet = &SEGMENT.remove(b'*');

/// `filter_path` of every snapshot lookup (SPEC §6): what the state rules,
/// `details` (§4: a failure's index, shard, reason, node and status) and the
/// schedule (the part metadata) read, the error envelope (filter_path
/// applies to error answers too: without `error` they would arrive as
/// `{}`), and the paging fields. Everything else (index lists, shard
/// counts, end times, feature states) stays in the cluster: about a tenth
/// of the verbose answer.
///
/// ```
/// let kept: Vec<&str> = backup_actuator_search::SNAPSHOT_FILTER_PATH.split(',').collect();
/// assert!(kept.contains(&"snapshots.state") && kept.contains(&"error"));
/// ```
pub const SNAPSHOT_FILTER_PATH: &str = "snapshots.snapshot,snapshots.state,\
snapshots.start_time_in_millis,snapshots.failures.index,snapshots.failures.shard_id,\
snapshots.failures.reason,snapshots.failures.node_id,snapshots.failures.status,\
snapshots.metadata.backupId,snapshots.metadata.version,snapshots.metadata.partNo,\
snapshots.metadata.partCount,snapshots.metadata.trigger,\
error,status,next,total,remaining";

/// Upper bound on pages followed for one lookup: a cluster whose `next`
/// never ends cannot keep a request running forever.
const MAX_PAGES: usize = 100_000;

pub(crate) struct Client {
    nominal: Product,
    transport: Transport,
    url: Url,
    page_size: u32,
    info: OnceCell<ClusterInfo>,
    /// Redacted from error answers before they can reach a message.
    secrets: Vec<String>,
}

impl fmt::Debug for Client {
    // The transport's own Debug would print its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("product", &self.nominal)
            .field("url", &self.url.as_str())
            .field("cluster", &self.info.get())
            .finish_non_exhaustive()
    }
}

/// A complete answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: bytes::Bytes,
}

impl Client {
    pub(crate) fn new(settings: Settings) -> Result<Client, ConfigError> {
        let nominal = settings.product;
        let page_size = settings.page_size.max(1);
        let secrets = settings.secrets();
        let (transport, url) = settings.build_transport()?;
        Ok(Client {
            nominal,
            transport,
            url,
            page_size,
            info: OnceCell::new(),
            secrets,
        })
    }

    /// The product errors are reported for: the detected one once known.
    pub(crate) fn product(&self) -> Product {
        self.info.get().map_or(self.nominal, |info| info.product)
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "{} at {}",
            self.product(),
            self.url.as_str().trim_end_matches('/')
        )
    }

    /// A text with every configured credential replaced by `[redacted]`.
    fn redact_text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "[redacted]");
            }
        }
        text
    }

    /// A complete 2xx answer that cannot be read, redacted: its start is
    /// quoted in the message, and what was wrong (a parse error can quote
    /// the body too) goes to the log.
    fn unreadable(
        &self,
        product: Product,
        operation: Operation,
        status: u16,
        what: &str,
        body: &[u8],
    ) -> StoreError {
        let body = self.redact(bytes::Bytes::copy_from_slice(body));
        unreadable(product, operation, status, &self.redact_text(what), &body)
    }

    /// An error answer with every configured credential replaced by
    /// `[redacted]`: its text ends up in API error messages and logs.
    fn redact(&self, body: bytes::Bytes) -> bytes::Bytes {
        let text = String::from_utf8_lossy(&body);
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return body;
        }
        let mut text = text.into_owned();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), "[redacted]");
        }
        bytes::Bytes::from(text)
    }

    /// One request, its answer read to the end. Anything that stops a
    /// complete answer from arriving (including a body cut off mid-way) is
    /// [`StoreError::Unreachable`].
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
        operation: impl FnOnce() -> Operation,
    ) -> Result<Answer, StoreError> {
        let query = (!query.is_empty()).then_some(query);
        let result = self
            .transport
            .send(method, path, HeaderMap::new(), query, body, None)
            .await;
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                let error = unreachable(self.product(), operation(), &error);
                tracing::debug!(?method, path, "request failed: {error}");
                return Err(error);
            }
        };
        let status = response.status_code().as_u16();
        match response.bytes().await {
            Ok(body) => {
                tracing::debug!(?method, path, status, bytes = body.len(), "answered");
                let body = if is_success(status) {
                    body
                } else {
                    self.redact(body)
                };
                Ok(Answer { status, body })
            }
            Err(error) => {
                let error = unreachable(self.product(), operation(), &error);
                tracing::debug!(?method, path, status, "answer broke off: {error}");
                Err(error)
            }
        }
    }

    /// Product and version, read from `GET /` on first use. A failure is not
    /// kept: the next call asks again.
    pub(crate) async fn cluster_info(&self) -> Result<&ClusterInfo, StoreError> {
        self.info.get_or_try_init(|| self.read_cluster_info()).await
    }

    async fn read_cluster_info(&self) -> Result<ClusterInfo, StoreError> {
        let operation = || Operation::ReadClusterInfo;
        let answer = self.send(Method::Get, "", &[], None, operation).await?;
        if !is_success(answer.status) {
            return Err(ErrorAnswer::read(answer.status, &answer.body)
                .into_store_error(self.nominal, operation()));
        }
        let bad = |what: &str| {
            self.unreadable(self.nominal, operation(), answer.status, what, &answer.body)
        };
        let root: RootResponse<'_> = serde_json::from_slice(&answer.body)
            .map_err(|e| bad(&format!("not a cluster information document ({e})")))?;
        let version = root
            .version
            .ok_or_else(|| bad("no version in the cluster information"))?;
        let product = match version.distribution.as_deref() {
            Some("opensearch") => Product::OpenSearch,
            _ => Product::Elasticsearch,
        };
        let number = version
            .number
            .ok_or_else(|| bad("no version.number in the cluster information"))?;
        let info = ClusterInfo::new(product, &number)
            .ok_or_else(|| bad(&format!("version.number [{number}] is not a version")))?;
        if product != self.nominal {
            tracing::warn!(
                configured = %self.nominal,
                detected = %product,
                version = %info.number,
                "the store is configured for {} but the cluster at {} is {} {}; using the {} dialect",
                self.nominal,
                self.url.as_str().trim_end_matches('/'),
                product,
                info.number,
                product,
            );
        } else {
            tracing::debug!(product = %product, version = %info.number, "cluster detected");
        }
        Ok(info)
    }

    pub(crate) async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let info = self.cluster_info().await?;
        let product = info.product;
        let operation = || Operation::ReadSnapshots {
            pattern: pattern.to_owned(),
        };
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            encode(pattern, PATTERN)
        );
        let page_size = self.page_size.to_string();
        // `ignore_unavailable`: one unreadable snapshot blob leaves its
        // backup short of that part instead of failing every lookup (§6).
        let mut query: Vec<(&str, &str)> = vec![
            ("filter_path", SNAPSHOT_FILTER_PATH),
            ("ignore_unavailable", "true"),
        ];
        if info.knows_index_names() {
            query.push(("index_names", "false"));
        }
        let paging = info.pages_snapshots();
        if paging {
            query.push(("size", &page_size));
        }

        let mut records = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_query = query.clone();
            if let Some(after) = &after {
                page_query.push(("after", after));
            }
            let answer = self
                .send(Method::Get, &path, &page_query, None, operation)
                .await?;
            if !is_success(answer.status) {
                let error = ErrorAnswer::read(answer.status, &answer.body);
                if error.is(404, "snapshot_missing_exception") {
                    // ES ≤ 8.13 and OpenSearch: a pattern that matches nothing.
                    return Ok(records);
                }
                if error.is(404, "repository_missing_exception") {
                    return Err(StoreError::RepositoryMissing {
                        repository: repository.to_owned(),
                    });
                }
                return Err(error.into_store_error(product, operation()));
            }
            let bad = |what: String| {
                self.unreadable(product, operation(), answer.status, &what, &answer.body)
            };
            let page: GetSnapshotsResponse<'_> = serde_json::from_slice(&answer.body)
                .map_err(|e| bad(format!("not a snapshot list ({e})")))?;
            let next = match page.remaining {
                Some(0) => None,
                _ => page.next.as_deref().map(str::to_owned),
            };
            // filter_path drops what it empties: a page without snapshots
            // is `{}` (or only the paging fields), not an empty list.
            let filtered_empty =
                page.total.is_some() || page.remaining.is_some() || is_empty_object(&answer.body);
            let snapshots = match page.into_snapshots() {
                Some(snapshots) => snapshots,
                None if filtered_empty => Vec::new(),
                None => return Err(bad("no snapshots in the answer".to_owned())),
            };
            let got = snapshots.len();
            records.extend(snapshots.into_iter().map(SnapshotInfo::into_record));
            match next {
                Some(next) if paging && got > 0 && after.as_deref() != Some(next.as_str()) => {
                    after = Some(next);
                }
                _ => return Ok(records),
            }
        }
        tracing::warn!(pattern, "stopped following pages after {MAX_PAGES} pages");
        Ok(records)
    }

    /// The health check: `GET _snapshot/{repo}`, the repository's
    /// registration from the cluster state. It proves the cluster answers
    /// and the repository exists, without listing a single snapshot.
    pub(crate) async fn check_repository(&self, repository: &str) -> Result<(), StoreError> {
        let product = self.cluster_info().await?.product;
        let operation = || Operation::ReadRepository {
            repository: repository.to_owned(),
        };
        let path = format!("_snapshot/{}", encode(repository, SEGMENT));
        let answer = self.send(Method::Get, &path, &[], None, operation).await?;
        if is_success(answer.status) {
            // `{"<repo>": {"type": …, "settings": …}}`
            return match serde_json::from_slice::<serde_json::Value>(&answer.body) {
                Ok(serde_json::Value::Object(found)) if found.contains_key(repository) => Ok(()),
                Ok(_) => Err(StoreError::RepositoryMissing {
                    repository: repository.to_owned(),
                }),
                Err(e) => Err(unreadable(
                    product,
                    operation(),
                    answer.status,
                    &format!("not a repository answer ({e})"),
                    &answer.body,
                )),
            };
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if error.is(404, "repository_missing_exception") {
            return Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            });
        }
        Err(error.into_store_error(product, operation()))
    }

    pub(crate) async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        let product = self.cluster_info().await?.product;
        let operation = || Operation::CreateSnapshot {
            name: part.name.clone(),
        };
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            encode(&part.name, SEGMENT)
        );
        let body = serde_json::to_vec(&CreateBody {
            indices: &part.indices,
            include_global_state: false,
            metadata: &part.metadata,
        })
        .expect("the create body always serializes");
        let answer = self
            .send(
                Method::Put,
                &path,
                &[("wait_for_completion", "false")],
                Some(body),
                operation,
            )
            .await?;
        if is_success(answer.status) {
            return match serde_json::from_slice::<CreateResponse>(&answer.body) {
                Ok(created) if created.is_accepted() => Ok(()),
                Ok(_) => Err(self.unreadable(
                    product,
                    operation(),
                    answer.status,
                    "the snapshot was not accepted",
                    &answer.body,
                )),
                Err(e) => Err(self.unreadable(
                    product,
                    operation(),
                    answer.status,
                    &format!("not a create answer ({e})"),
                    &answer.body,
                )),
            };
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        let duplicate_type = error.is(400, "invalid_snapshot_name_exception")
            || error.is(400, "snapshot_name_already_in_use_exception");
        let same_name = error
            .reason
            .as_deref()
            .is_some_and(|reason| reason.contains("snapshot with the same name"));
        if duplicate_type && same_name {
            return Err(StoreError::NameInUse {
                name: part.name.clone(),
            });
        }
        if error.is(404, "repository_missing_exception") {
            return Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            });
        }
        Err(error.into_store_error(product, operation()))
    }

    pub(crate) async fn delete_snapshots(
        &self,
        repository: &str,
        names: &[String],
    ) -> Result<(), StoreError> {
        if names.is_empty() {
            return Ok(());
        }
        let product = self.cluster_info().await?.product;
        let operation = || Operation::DeleteSnapshots {
            names: names.to_vec(),
        };
        let list: Vec<String> = names.iter().map(|name| encode(name, SEGMENT)).collect();
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            list.join(",")
        );
        // No `wait_for_completion`: every version waits by default (§5).
        let answer = self
            .send(Method::Delete, &path, &[], None, operation)
            .await?;
        if is_success(answer.status) {
            return match serde_json::from_slice::<AcknowledgedResponse>(&answer.body) {
                Ok(AcknowledgedResponse {
                    acknowledged: Some(true),
                }) => Ok(()),
                Ok(_) => Err(StoreError::Cluster {
                    product,
                    operation: operation(),
                    status: answer.status,
                    detail: "the deletion was not acknowledged".into(),
                }),
                Err(e) => Err(self.unreadable(
                    product,
                    operation(),
                    answer.status,
                    &format!("not a delete answer ({e})"),
                    &answer.body,
                )),
            };
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if error.is(404, "snapshot_missing_exception") {
            let name = missing_snapshot_name(error.reason.as_deref(), repository, names)
                .unwrap_or(&names[0]);
            return Err(StoreError::SnapshotMissing {
                name: name.clone(),
                detail: error.into_store_error(product, operation()).to_string(),
            });
        }
        if error.is(404, "repository_missing_exception") {
            return Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            });
        }
        Err(error.into_store_error(product, operation()))
    }
}

/// `{}`, whitespace allowed: what filter_path leaves of an answer where
/// nothing matched.
fn is_empty_object(body: &[u8]) -> bool {
    let mut rest = body.iter().filter(|b| !b.is_ascii_whitespace());
    rest.next() == Some(&b'{') && rest.next() == Some(&b'}') && rest.next().is_none()
}

pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// One path segment, percent-encoded; `.` and `..` are encoded too so that
/// they cannot walk the URL path.
pub(crate) fn encode(segment: &str, set: &'static AsciiSet) -> String {
    match segment {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(segment, set).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(
            encode("camunda_optimize_1_8.6.0_part_1_of_2", SEGMENT),
            "camunda_optimize_1_8.6.0_part_1_of_2"
        );
        assert_eq!(
            encode("camunda_optimize_1_*", PATTERN),
            "camunda_optimize_1_*"
        );
        assert_eq!(encode("a*", SEGMENT), "a%2A");
        assert_eq!(
            encode("my repo/x?y#z,w", SEGMENT),
            "my%20repo%2Fx%3Fy%23z%2Cw"
        );
        assert_eq!(encode("dépôt", SEGMENT), "d%C3%A9p%C3%B4t");
        assert_eq!(encode("..", SEGMENT), "%2E%2E");
        assert_eq!(encode("...", SEGMENT), "...");
    }

    #[test]
    fn filter_path_keeps_what_state_details_schedule_errors_and_paging_read() {
        let kept: Vec<&str> = SNAPSHOT_FILTER_PATH.split(',').collect();
        for field in [
            "snapshots.snapshot",
            "snapshots.state",
            "snapshots.start_time_in_millis",
            "snapshots.failures.index",
            "snapshots.failures.shard_id",
            "snapshots.failures.reason",
            "snapshots.failures.node_id",
            "snapshots.failures.status",
            "snapshots.metadata.backupId",
            "snapshots.metadata.version",
            "snapshots.metadata.partNo",
            "snapshots.metadata.partCount",
            "snapshots.metadata.trigger",
            "error",
            "next",
            "total",
            "remaining",
        ] {
            assert!(kept.contains(&field), "{field} is filtered out");
        }
        assert!(!SNAPSHOT_FILTER_PATH.contains(char::is_whitespace));
    }

    #[test]
    fn an_emptied_answer_is_an_empty_object() {
        assert!(is_empty_object(b"{}"));
        assert!(is_empty_object(b" {\n}\n"));
        assert!(!is_empty_object(b"{\"a\":1}"));
        assert!(!is_empty_object(b""));
        assert!(!is_empty_object(b"[]"));
    }
}
