//! The requests behind [`ClusterStore`](crate::ClusterStore): sending,
//! redacting, and reading each answer as the dialect says.

use std::fmt;

use backup_actuator_core::{Product, SnapshotPart, SnapshotRecord};
use backup_actuator_store::{Operation, StoreError};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::LOCATION;
use reqwest::{Method, Url};
use tokio::sync::OnceCell;

use crate::config::{ConfigError, Settings};
use crate::dialect::ClusterInfo;
use crate::error::{redirected, unreachable, unreadable, ErrorAnswer};
use crate::model::{
    AcknowledgedResponse, CreateBody, CreateResponse, GetSnapshotsResponse, SnapshotInfo,
};
use crate::redact::{RedactedBody, Redactor};
use crate::transport::Transport;

/// Path segment characters sent as they are: RFC 3986 unreserved.
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// A name pattern keeps its `*` wildcards readable.
const PATTERN: &AsciiSet = &SEGMENT.remove(b'*');

/// Upper bound on pages followed for one lookup: a cluster whose `next`
/// never ends cannot keep a request running forever.
const MAX_PAGES: usize = 100_000;
/// A `total` beyond this is not trusted to size the records up front.
const MAX_RESERVE: usize = 1 << 20;
/// A `Content-Length` beyond this is not trusted to size a body up front.
const MAX_BODY_RESERVE: u64 = 64 << 20;

/// One page of a lookup.
#[derive(Debug, Default)]
struct Page {
    records: Vec<SnapshotRecord>,
    /// Where the next page starts, where the cluster pages.
    next: Option<String>,
    /// The whole repository's count, where the cluster says it.
    total: Option<usize>,
}

pub(crate) struct Client {
    nominal: Product,
    transport: Transport,
    url: Url,
    page_size: u32,
    info: OnceCell<ClusterInfo>,
    /// Every answer and transport error passes it before anything reads it.
    redactor: Redactor,
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
    pub(crate) body: RedactedBody,
}

impl Client {
    pub(crate) fn new(settings: Settings) -> Result<Client, ConfigError> {
        let nominal = settings.product;
        let page_size = settings.page_size.max(1);
        let redactor = Redactor::new(&settings.credentials());
        let (transport, url) = settings.build_transport()?;
        Ok(Client {
            nominal,
            transport,
            url,
            page_size,
            info: OnceCell::new(),
            redactor,
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

    /// A complete 2xx answer that cannot be read: its start is quoted in
    /// the message, and what was wrong goes to the log.
    pub(crate) fn unreadable(
        &self,
        product: Product,
        operation: Operation,
        status: u16,
        what: &str,
        body: &RedactedBody,
    ) -> StoreError {
        unreadable(product, operation, status, self.redactor.text(what), body)
    }

    /// One request, its answer read to the end and redacted. Anything
    /// that stops a complete answer from arriving (including a body cut
    /// off mid-way) is [`StoreError::Unreachable`]; a redirect is refused
    /// (see [`redirected`]).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
        operation: impl FnOnce() -> Operation,
    ) -> Result<Answer, StoreError> {
        let result = self.transport.send(method.clone(), path, query, body).await;
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                let error = unreachable(self.product(), operation(), self.redactor.error(&*error));
                tracing::debug!(%method, path, "request failed: {error}");
                return Err(error);
            }
        };
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let host = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|location| response.url().join(location).ok())
                .and_then(|target| target.host_str().map(|host| self.redactor.text(host)));
            let error = redirected(self.product(), operation(), status, host);
            tracing::debug!(%method, path, status, "redirect refused: {error}");
            return Err(error);
        }
        match read_body(response).await {
            Ok(body) => {
                tracing::debug!(%method, path, status, bytes = body.len(), "answered");
                Ok(Answer {
                    status,
                    body: self.redactor.body(body),
                })
            }
            Err(error) => {
                let error = unreachable(self.product(), operation(), self.redactor.error(&error));
                tracing::debug!(%method, path, status, "answer broke off: {error}");
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
        let answer = self.send(Method::GET, "", &[], None, operation).await?;
        if !is_success(answer.status) {
            return Err(ErrorAnswer::read(answer.status, &answer.body)
                .into_store_error(self.nominal, operation()));
        }
        let info = ClusterInfo::from_root(&answer.body).map_err(|what| {
            self.unreadable(
                self.nominal,
                operation(),
                answer.status,
                &what,
                &answer.body,
            )
        })?;
        if info.product != self.nominal {
            tracing::warn!(
                configured = %self.nominal,
                detected = %info.product,
                version = %info.number,
                "the store is configured for {} but the cluster at {} is {} {}; using the {} dialect",
                self.nominal,
                self.url.as_str().trim_end_matches('/'),
                info.product,
                info.number,
                info.product,
            );
        } else {
            tracing::debug!(product = %info.product, version = %info.number, "cluster detected");
        }
        Ok(info)
    }

    /// Every snapshot matching `pattern`, following the pages where the
    /// cluster pages (the query is the dialect's).
    pub(crate) async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let info = self.cluster_info().await?;
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            encode(pattern, PATTERN)
        );
        let page_size = self.page_size.to_string();
        let query = info.snapshot_lookup_query(&page_size);
        let mut records = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_query = query.clone();
            if let Some(after) = &after {
                page_query.push(("after", after));
            }
            let page = self
                .find_page(info, repository, pattern, &path, &page_query)
                .await?;
            let got = page.records.len();
            if records.is_empty() {
                // A paged answer's `total` counts the whole repository: the
                // records are sized once instead of doubling (and copying)
                // their way up to it.
                let total = page.total.unwrap_or(got);
                records.reserve(total.min(MAX_RESERVE).max(got));
            }
            records.extend(page.records);
            match page.next {
                // A page that brought nothing or a cursor that did not move
                // would be asked for again and again.
                Some(next) if got > 0 && after.as_deref() != Some(next.as_str()) => {
                    after = Some(next);
                }
                _ => return Ok(records),
            }
        }
        tracing::warn!(pattern, "stopped following pages after {MAX_PAGES} pages");
        Ok(records)
    }

    /// The names and states of the snapshots matching `pattern`: one
    /// `verbose=false` request on every version (the dialect's query),
    /// which the cluster answers from its repository index without paging.
    pub(crate) async fn find_snapshot_states(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let info = self.cluster_info().await?;
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            encode(pattern, PATTERN)
        );
        let query = info.snapshot_states_query();
        let page = self
            .find_page(info, repository, pattern, &path, &query)
            .await?;
        Ok(page.records)
    }

    /// One page of a lookup: its snapshots and where the next page starts.
    async fn find_page(
        &self,
        info: &ClusterInfo,
        repository: &str,
        pattern: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Page, StoreError> {
        let operation = || Operation::ReadSnapshots {
            pattern: pattern.to_owned(),
        };
        let answer = self.send(Method::GET, path, query, None, operation).await?;
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            if info.is_no_match(&error) {
                return Ok(Page::default());
            }
            return Err(refused(info, error, repository, operation()));
        }
        let bad = |what: String| {
            self.unreadable(
                info.product,
                operation(),
                answer.status,
                &what,
                &answer.body,
            )
        };
        let page: GetSnapshotsResponse<'_> = serde_json::from_slice(&answer.body)
            .map_err(|e| bad(format!("not a snapshot list ({e})")))?;
        let next = info.next_page(&page).map(str::to_owned);
        let filtered_empty = info.is_filtered_empty(&page, &answer.body);
        let total = page.total.and_then(|total| usize::try_from(total).ok());
        let snapshots = match page.into_snapshots() {
            Some(snapshots) => snapshots,
            None if filtered_empty => Vec::new(),
            None => return Err(bad("no snapshots in the answer".to_owned())),
        };
        let records = snapshots
            .into_iter()
            .map(SnapshotInfo::into_record)
            .collect();
        Ok(Page {
            records,
            next,
            total,
        })
    }

    /// The health check: `GET _snapshot/{repo}`, the repository's
    /// registration from the cluster state. It proves the cluster answers
    /// and the repository exists, without listing a single snapshot.
    pub(crate) async fn check_repository(&self, repository: &str) -> Result<(), StoreError> {
        let info = self.cluster_info().await?;
        let operation = || Operation::ReadRepository {
            repository: repository.to_owned(),
        };
        let path = format!("_snapshot/{}", encode(repository, SEGMENT));
        let answer = self.send(Method::GET, &path, &[], None, operation).await?;
        if !is_success(answer.status) {
            let error = ErrorAnswer::read(answer.status, &answer.body);
            return Err(refused(info, error, repository, operation()));
        }
        match info.registers_repository(&answer.body, repository) {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            }),
            Err(e) => Err(self.unreadable(
                info.product,
                operation(),
                answer.status,
                &format!("not a repository answer ({e})"),
                &answer.body,
            )),
        }
    }

    pub(crate) async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        let info = self.cluster_info().await?;
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
                Method::PUT,
                &path,
                info.create_query(),
                Some(body),
                operation,
            )
            .await?;
        if is_success(answer.status) {
            let bad = |what: &str| {
                self.unreadable(info.product, operation(), answer.status, what, &answer.body)
            };
            return match serde_json::from_slice::<CreateResponse>(&answer.body) {
                Ok(created) if created.is_accepted() => Ok(()),
                Ok(_) => Err(bad("the snapshot was not accepted")),
                Err(e) => Err(bad(&format!("not a create answer ({e})"))),
            };
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if info.is_name_in_use(&error) {
            return Err(StoreError::NameInUse {
                name: part.name.clone(),
            });
        }
        Err(refused(info, error, repository, operation()))
    }

    pub(crate) async fn delete_snapshots(
        &self,
        repository: &str,
        names: &[String],
    ) -> Result<(), StoreError> {
        if names.is_empty() {
            return Ok(());
        }
        let info = self.cluster_info().await?;
        let operation = || Operation::DeleteSnapshots {
            names: names.to_vec(),
        };
        let list: Vec<String> = names.iter().map(|name| encode(name, SEGMENT)).collect();
        let path = format!(
            "_snapshot/{}/{}",
            encode(repository, SEGMENT),
            list.join(",")
        );
        let answer = self
            .send(Method::DELETE, &path, info.delete_query(), None, operation)
            .await?;
        if is_success(answer.status) {
            return match serde_json::from_slice::<AcknowledgedResponse>(&answer.body) {
                Ok(AcknowledgedResponse {
                    acknowledged: Some(true),
                }) => Ok(()),
                Ok(_) => Err(StoreError::Cluster {
                    product: info.product,
                    operation: operation(),
                    status: answer.status,
                    detail: "the deletion was not acknowledged".into(),
                }),
                Err(e) => Err(self.unreadable(
                    info.product,
                    operation(),
                    answer.status,
                    &format!("not a delete answer ({e})"),
                    &answer.body,
                )),
            };
        }
        let error = ErrorAnswer::read(answer.status, &answer.body);
        if let Some(name) = info.missing_snapshot(&error, repository, names) {
            return Err(StoreError::SnapshotMissing {
                name: name.clone(),
                detail: error
                    .into_store_error(info.product, operation())
                    .to_string(),
            });
        }
        Err(refused(info, error, repository, operation()))
    }
}

/// The error of a refused request under `_snapshot/{repo}`: the
/// repository is missing, or the cluster's own error.
pub(crate) fn refused(
    info: &ClusterInfo,
    error: ErrorAnswer,
    repository: &str,
    operation: Operation,
) -> StoreError {
    if info.is_repository_missing(&error) {
        return StoreError::RepositoryMissing {
            repository: repository.to_owned(),
        };
    }
    error.into_store_error(info.product, operation)
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

/// The whole body, read into one buffer sized from `Content-Length`.
/// `Response::bytes()` keeps every chunk and then copies them into one
/// buffer, so a list answer of several megabytes was held twice at the
/// peak; here it is held once, plus one chunk.
async fn read_body(mut response: reqwest::Response) -> Result<bytes::Bytes, reqwest::Error> {
    let expected = response.content_length().unwrap_or(0).min(MAX_BODY_RESERVE);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(bytes::Bytes::from(body))
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
}
