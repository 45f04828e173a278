//! [`BackupMetrics`]: every metric of SPEC §11 and its registry.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use backup_actuator_core::BackupState;
use backup_actuator_engine::PartLoss;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of `GET {base}/prometheus`: the OpenMetrics text
/// format, which Prometheus reads natively (and asks for first).
///
/// ```
/// assert!(backup_actuator_service::OPENMETRICS_CONTENT_TYPE.starts_with("application/openmetrics-text"));
/// ```
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of `GET {base}/prometheus` for clients that do not
/// ask for OpenMetrics: the classic Prometheus text format 0.0.4.
///
/// ```
/// assert_eq!(backup_actuator_service::PROMETHEUS_TEXT_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
/// ```
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Request and cluster-call latency buckets, in seconds: from a memory
/// answer (well under a millisecond) to a cluster at its timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Restore drill duration buckets, in seconds: from a drill of a small
/// backup on an idle cluster (about a second) to one that restores a large
/// backup for hours.
const DRILL_BUCKETS: [f64; 14] = [
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
];

fn drill_histogram() -> Histogram {
    Histogram::new(DRILL_BUCKETS)
}

/// The states a backup can be in, by their documented names (the label
/// values of `backup_actuator_backups`, whatever the dialect).
pub(super) const STATES: [BackupState; 5] = [
    BackupState::Complete,
    BackupState::Failed,
    BackupState::Incompatible,
    BackupState::InProgress,
    BackupState::Incomplete,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RequestLabels {
    pub(super) route: &'static str,
    pub(super) method: &'static str,
    pub(super) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteLabels {
    pub(super) route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct CallLabels {
    pub(super) operation: &'static str,
    pub(super) outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StateLabels {
    pub(super) state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ReasonLabels {
    pub(super) reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OutcomeLabels {
    pub(super) outcome: &'static str,
}

/// How one scheduled run ended (SPEC §10), the `outcome` label of
/// `backup_actuator_scheduled_runs_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScheduledRun {
    /// This process triggered the slot's backup (202).
    Triggered,
    /// Another replica had already triggered it (409 for the slot's id).
    TakenByPeer,
    /// The cluster failed the trigger; the next slot runs as usual.
    Failed,
}

/// How a scheduled restore drill that ran ended (SPEC §13), the `outcome`
/// label of `backup_actuator_verify_drill_duration_seconds`; the two
/// failures are also the `reason` of `backup_actuator_verify_failures_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerifyOutcome {
    /// Every index of the backup restored and answered.
    Passed,
    /// The backup does not restore (a shard failed, data is missing).
    NotRestorable,
    /// The drill could not run or finish (the cluster failed, no room);
    /// the backup is not known to be broken.
    Error,
}

impl VerifyOutcome {
    /// The label value: `passed`, `not_restorable` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyOutcome::Passed => "passed",
            VerifyOutcome::NotRestorable => "not_restorable",
            VerifyOutcome::Error => "error",
        }
    }
}

impl ScheduledRun {
    /// The label value: `triggered`, `taken_by_peer` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledRun::Triggered => "triggered",
            ScheduledRun::TakenByPeer => "taken_by_peer",
            ScheduledRun::Failed => "failed",
        }
    }
}

/// Every metric of SPEC §11, and the registry they are served from.
///
/// Give it to [`BackupServiceBuilder::metrics`](crate::BackupServiceBuilder::metrics)
/// and the service serves `GET {base}/prometheus` and feeds requests,
/// store calls and the backups it reads into it. Clones share the same
/// metrics, so a scheduler or a layer in front of the service can hold
/// one too and record what only it sees.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `backup_actuator_http_requests_total` | counter | `route`, `method`, `status` |
/// | `backup_actuator_http_request_duration_seconds` | histogram | `route` |
/// | `backup_actuator_cluster_call_duration_seconds` | histogram | `operation`, `outcome` |
/// | `backup_actuator_backups` | gauge | `state` |
/// | `backup_actuator_newest_complete_backup_start_time_seconds` | gauge | |
/// | `backup_actuator_scheduled_runs_total` | counter | `outcome` |
/// | `backup_actuator_retention_deleted_backups_total` | counter | |
/// | `backup_actuator_backups_failed_total` | counter | `reason` (`failed`, `partial`, `vanished`) |
/// | `backup_actuator_retention_errors_total` | counter | |
/// | `backup_actuator_schedule_poll_failures_total` | counter | |
/// | `backup_actuator_scheduled_slots_missed_total` | counter | |
/// | `backup_actuator_repository_read_failures_total` | counter | |
/// | `backup_actuator_verify_failures_total` | counter | `reason` (`not_restorable`, `error`) |
/// | `backup_actuator_last_verified_backup_id` | gauge | |
/// | `backup_actuator_last_verified_timestamp_seconds` | gauge | |
/// | `backup_actuator_verify_drill_duration_seconds` | histogram | `outcome` (`passed`, `not_restorable`, `error`) |
///
/// Every counter without labels, and every label value listed, is served
/// at 0 from the start, so an alert on an increase fires on the first
/// event and an absent series means the metrics are off.
///
/// `route` is a template (`/backups/{id}`, `unknown` for other paths) and
/// `method` one of the standard methods or `other`, so clients cannot
/// make new series at will.
///
/// ```
/// use backup_actuator_service::{BackupMetrics, ScheduledRun};
///
/// let metrics = BackupMetrics::new();
/// metrics.record_scheduled_run(ScheduledRun::TakenByPeer);
/// metrics.record_retention_delete();
/// let text = metrics.encode();
/// assert!(text.contains(r#"backup_actuator_scheduled_runs_total{outcome="taken_by_peer"} 1"#));
/// assert!(text.contains("backup_actuator_retention_deleted_backups_total 1"));
/// assert!(text.ends_with("# EOF\n"));
/// ```
#[derive(Clone)]
pub struct BackupMetrics {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) registry: Registry,
    pub(super) requests: Family<RequestLabels, Counter>,
    pub(super) request_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub(super) cluster_calls: Family<CallLabels, Histogram, fn() -> Histogram>,
    pub(super) backups: Family<StateLabels, Gauge>,
    pub(super) newest_complete: Gauge<f64, AtomicU64>,
    pub(super) scheduled_runs: Family<OutcomeLabels, Counter>,
    pub(super) retention_deleted: Counter,
    pub(super) backups_failed: Family<ReasonLabels, Counter>,
    pub(super) retention_errors: Counter,
    pub(super) poll_failures: Counter,
    pub(super) missed_slots: Counter,
    pub(super) read_failures: Counter,
    pub(super) verify_failures: Family<ReasonLabels, Counter>,
    pub(super) last_verified_id: Gauge<f64, AtomicU64>,
    pub(super) last_verified_at: Gauge<f64, AtomicU64>,
    pub(super) drill_duration: Family<OutcomeLabels, Histogram, fn() -> Histogram>,
}

impl std::fmt::Debug for BackupMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupMetrics")
    }
}

impl Default for BackupMetrics {
    fn default() -> Self {
        BackupMetrics::new()
    }
}

impl BackupMetrics {
    /// Fresh metrics, every counter at zero.
    pub fn new() -> BackupMetrics {
        let mut registry = Registry::with_prefix("backup_actuator");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Answered requests by route template, method and status, including those a token gate refused",
            requests.clone(),
        );
        let request_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to its answer, by route template",
            request_duration.clone(),
        );
        let cluster_calls =
            Family::<CallLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "cluster_call_duration_seconds",
            "Store (cluster) calls by operation and outcome, and how long they took",
            cluster_calls.clone(),
        );
        let backups = Family::<StateLabels, Gauge>::default();
        registry.register(
            "backups",
            "Backups by state as of the last read of the whole repository (the server's own at start and after each schedule slot, or a list)",
            backups.clone(),
        );
        let newest_complete = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "newest_complete_backup_start_time_seconds",
            "Start time (Unix seconds) of the newest COMPLETE backup, from the same reads (a GET only raises it); 0 when none is COMPLETE",
            newest_complete.clone(),
        );
        let scheduled_runs = Family::<OutcomeLabels, Counter>::default();
        // Every outcome from the start, at 0, so a rate over them works
        // before the first slot and an absent series means no metrics.
        for outcome in [
            ScheduledRun::Triggered,
            ScheduledRun::TakenByPeer,
            ScheduledRun::Failed,
        ] {
            let _ = scheduled_runs.get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            });
        }
        registry.register(
            "scheduled_runs",
            "Scheduled backup slots by outcome",
            scheduled_runs.clone(),
        );
        let retention_deleted = Counter::default();
        registry.register(
            "retention_deleted_backups",
            "Backups deleted by retention",
            retention_deleted.clone(),
        );
        let backups_failed = Family::<ReasonLabels, Counter>::default();
        // Every reason from the start, at 0, so an alert on an increase
        // fires on the first lost part.
        for loss in [PartLoss::Failed, PartLoss::Partial, PartLoss::Vanished] {
            let _ = backups_failed.get_or_create(&ReasonLabels {
                reason: loss.as_str(),
            });
        }
        registry.register(
            "backups_failed",
            "Parts of accepted backups that ended FAILED or PARTIAL, or vanished from the repository, by reason",
            backups_failed.clone(),
        );
        let retention_errors = Counter::default();
        registry.register(
            "retention_errors",
            "Retention steps that failed: a backup that could not be deleted, or a read of the backups that failed (retention went on with the others)",
            retention_errors.clone(),
        );
        let poll_failures = Counter::default();
        registry.register(
            "schedule_poll_failures",
            "Looks at a running scheduled backup that failed (each retried)",
            poll_failures.clone(),
        );
        let missed_slots = Counter::default();
        registry.register(
            "scheduled_slots_missed",
            "Schedule slots missed while the process was down or busy, and not replayed",
            missed_slots.clone(),
        );
        let read_failures = Counter::default();
        registry.register(
            "repository_read_failures",
            "The server's own reads of the repository (at start and after each schedule slot) that failed; the backup gauges kept their values",
            read_failures.clone(),
        );
        let verify_failures = Family::<ReasonLabels, Counter>::default();
        let drill_duration =
            Family::<OutcomeLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                drill_histogram,
            );
        for outcome in [
            VerifyOutcome::Passed,
            VerifyOutcome::NotRestorable,
            VerifyOutcome::Error,
        ] {
            if outcome != VerifyOutcome::Passed {
                let _ = verify_failures.get_or_create(&ReasonLabels {
                    reason: outcome.as_str(),
                });
            }
            let _ = drill_duration.get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            });
        }
        registry.register(
            "verify_failures",
            "Scheduled restore drills that failed, by reason: the backup does not restore, or the drill could not run",
            verify_failures.clone(),
        );
        let last_verified_id = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_verified_backup_id",
            "Id of the backup the newest passed restore drill restored (exact up to 2^53); 0 until one passes",
            last_verified_id.clone(),
        );
        let last_verified_at = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_verified_timestamp_seconds",
            "When (Unix seconds) the newest passed restore drill ended; 0 until one passes",
            last_verified_at.clone(),
        );
        registry.register(
            "verify_drill_duration_seconds",
            "How long scheduled restore drills took, by outcome",
            drill_duration.clone(),
        );
        BackupMetrics {
            inner: Arc::new(Inner {
                registry,
                requests,
                request_duration,
                cluster_calls,
                backups,
                newest_complete,
                scheduled_runs,
                retention_deleted,
                backups_failed,
                retention_errors,
                poll_failures,
                missed_slots,
                read_failures,
                verify_failures,
                last_verified_id,
                last_verified_at,
                drill_duration,
            }),
        }
    }

    /// The metrics in the OpenMetrics text format, ending `# EOF`.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would be
        // a bug in a label value, which are all static here.
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)
        {
            tracing::error!(error = %err, "could not encode the metrics");
        }
        text
    }

    /// The metrics in the classic Prometheus text format (0.0.4): the
    /// OpenMetrics text with each counter's `# HELP`/`# TYPE` named as
    /// its samples are (`…_total`), and without `# EOF`.
    ///
    /// ```
    /// let text = backup_actuator_service::BackupMetrics::new().encode_prometheus_text();
    /// assert!(text.contains("# TYPE backup_actuator_retention_deleted_backups_total counter\n"));
    /// assert!(!text.contains("# EOF"));
    /// ```
    pub fn encode_prometheus_text(&self) -> String {
        let open = self.encode();
        let counters: Vec<&str> = open
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
            .collect();
        let mut text = String::with_capacity(open.len());
        for line in open.lines() {
            if line == "# EOF" || line.starts_with("# UNIT ") {
                continue;
            }
            let renamed = ["# HELP ", "# TYPE "].iter().find_map(|kind| {
                let rest = line.strip_prefix(kind)?;
                let (name, tail) = rest.split_once(' ')?;
                counters
                    .contains(&name)
                    .then(|| format!("{kind}{name}_total {tail}"))
            });
            match renamed {
                Some(line) => text.push_str(&line),
                None => text.push_str(line),
            }
            text.push('\n');
        }
        text
    }
}
