//! The trace of one request: its `backup_request` span, its latency, and
//! the metrics hook that counts every answer (SPEC §11).
//!
//! The route comes in already matched; nothing here looks at the path.

use std::time::Instant;

use backup_actuator_core::BackupId;
use http::{Method, StatusCode};
use tracing::{field, Span};

use crate::metrics::MetricsHook;
use crate::route::{Action, Route};

/// A request being answered: opened by [`RequestTrace::start`] when the
/// request arrives, closed by [`RequestTrace::finish`] with its status.
#[derive(Debug)]
pub(crate) struct RequestTrace {
    span: Span,
    route: &'static str,
    method: Method,
    started: Instant,
}

impl RequestTrace {
    /// Opens the span of a request for `route` (`None`: a path the API
    /// does not take) with the fields `method`, `route` (a template),
    /// `operation`, and, empty until known, `backup_id`, `status` and
    /// `latency_ms`. Headers and bodies are never recorded.
    pub(crate) fn start(route: Option<Route>, method: &Method) -> RequestTrace {
        let template = route_label(route);
        let operation = route
            .and_then(|r| r.action(method))
            .map_or("none", Action::name);
        let span = tracing::info_span!(
            "backup_request",
            method = %method,
            route = template,
            operation,
            backup_id = field::Empty,
            status = field::Empty,
            latency_ms = field::Empty,
        );
        RequestTrace {
            span,
            route: template,
            method: method.clone(),
            started: Instant::now(),
        }
    }

    /// The request's span, for the future that answers it.
    pub(crate) fn span(&self) -> Span {
        self.span.clone()
    }

    /// Closes the trace with the answer's `status`: records it and the
    /// latency on the span, logs one `answered` event in it, and counts the
    /// answer in the metrics.
    pub(crate) fn finish(self, status: StatusCode, observer: &MetricsHook) {
        let elapsed = self.started.elapsed();
        self.span.record("status", status.as_u16());
        self.span.record("latency_ms", elapsed.as_millis() as u64);
        self.span.in_scope(|| tracing::info!("answered"));
        observer.request(self.route, &self.method, status, elapsed);
    }
}

/// Records the backup id on the current request's span, once it is known.
pub(crate) fn record_backup_id(id: BackupId) {
    Span::current().record("backup_id", id.get());
}

/// Counts an answer given on the service's behalf by a layer in front of
/// it (a token gate's 401), under the route the request would have taken.
/// Counts answers given on the service's behalf by a layer in front of
/// it — a token gate's 401 — under the route the path would have taken, so
/// refused requests show in the metrics although they never reach the
/// service. Get one from
/// [`BackupService::answer_counter`](crate::BackupService::answer_counter).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use backup_actuator_core::BackupPlan;
/// use backup_actuator_service::{BackupMetrics, BackupService};
/// use backup_actuator_store::MemoryStore;
/// use http::{Method, StatusCode};
///
/// let service = BackupService::builder(Arc::new(MemoryStore::new()), BackupPlan::optimize("8.6.0").unwrap())
///     .metrics(BackupMetrics::new())
///     .build();
/// let counter = service.answer_counter();
/// counter.count(&Method::DELETE, "/actuator/backups/7", StatusCode::UNAUTHORIZED, Duration::ZERO);
/// let text = service.metrics().unwrap().encode();
/// assert!(text.contains(r#"backup_actuator_http_requests_total{route="/backups/{id}",method="DELETE",status="401"} 1"#));
/// ```
#[cfg(feature = "metrics")]
#[derive(Clone, Debug)]
pub struct AnswerCounter {
    pub(crate) base_path: String,
    pub(crate) routes: crate::route::OptionalRoutes,
    pub(crate) metrics: MetricsHook,
}

#[cfg(feature = "metrics")]
impl AnswerCounter {
    /// Counts one answer to `method` `path` with `status`, after `elapsed`.
    pub fn count(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        elapsed: std::time::Duration,
    ) {
        let route = crate::route::match_route(&self.base_path, path, self.routes);
        self.metrics
            .request(route_label(route), method, status, elapsed);
    }
}

fn route_label(route: Option<Route>) -> &'static str {
    route.map_or("unknown", Route::template)
}
