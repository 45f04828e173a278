//! The backup plan: which snapshots make up a backup and how they are named
//! (SPEC §3).

use std::fmt;

use serde::Serialize;

use crate::id::BackupId;
use crate::names::check_prefix;

/// How a backup is split into snapshots and what those snapshots are called.
///
/// A backup is N snapshots ("parts"), each created from its own list of index
/// expressions and named `{prefix}_{backupId}_{version}_part_{n}_of_{N}`.
///
/// ```
/// use backup_actuator_core::{BackupId, BackupPlan};
///
/// let plan = BackupPlan::optimize("8.6.0-SNAPSHOT").unwrap();
/// let id = BackupId::new(123456).unwrap();
/// assert_eq!(plan.version(), "8.6.0");
/// assert_eq!(
///     plan.snapshot_name(id, 1),
///     "camunda_optimize_123456_8.6.0_part_1_of_2"
/// );
/// assert_eq!(plan.lookup_pattern(id), "camunda_optimize_123456_*");
/// assert_eq!(plan.list_pattern(), "camunda_optimize_*");
///
/// let parsed = plan
///     .parse_snapshot_name("camunda_optimize_123456_3.10.0_part_2_of_2")
///     .unwrap();
/// assert_eq!((parsed.backup_id, parsed.part_no, parsed.part_count), (id, 2, 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupPlan {
    prefix: String,
    version: String,
    parts: Vec<Vec<String>>,
}

/// The default snapshot name prefix, Optimize's.
pub const DEFAULT_PREFIX: &str = "camunda_optimize";

/// The last segment of a claim name ([`BackupPlan::claim_name`]).
const CLAIM_SUFFIX: &str = "claim";

/// The index expression of a claim snapshot: a wildcard, so that it
/// matching nothing is no error, and a name no index of a backup has.
const CLAIM_INDICES: &str = "backup-actuator-claim-matches-no-index-*";

/// Optimize's import indices: part 1 of its plan.
pub const OPTIMIZE_IMPORT_INDICES: [&str; 2] = [
    "optimize-timestamp-based-import-index",
    "optimize-position-based-import-index",
];

impl BackupPlan {
    /// Optimize's plan for a host version: prefix `camunda_optimize`, part 1
    /// the import indices, part 2 every other `optimize-*` index.
    pub fn optimize(app_version: &str) -> Result<BackupPlan, PlanError> {
        BackupPlan::builder()
            .version(app_version)
            .optimize_parts()
            .build()
    }

    /// A builder for any other plan.
    ///
    /// ```
    /// use backup_actuator_core::BackupPlan;
    ///
    /// let plan = BackupPlan::builder()
    ///     .prefix("orders_service")
    ///     .version("2.4.1")
    ///     .part(["orders-*"])
    ///     .part(["customers-*", "invoices-*"])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(plan.part_count(), 2);
    /// ```
    pub fn builder() -> BackupPlanBuilder {
        BackupPlanBuilder {
            prefix: DEFAULT_PREFIX.to_owned(),
            version: None,
            parts: Vec::new(),
        }
    }

    /// The snapshot name prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The version written into new snapshot names, always `X.Y.Z`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The number of parts a new backup is made of.
    pub fn part_count(&self) -> u32 {
        self.parts.len() as u32
    }

    /// The index expressions of each part, part 1 first.
    pub fn parts(&self) -> impl ExactSizeIterator<Item = &[String]> {
        self.parts.iter().map(Vec::as_slice)
    }

    /// The name of part `part_no` (1-based) of backup `id` under this plan.
    pub fn snapshot_name(&self, id: BackupId, part_no: u32) -> String {
        format!(
            "{}_{}_{}_part_{}_of_{}",
            self.prefix,
            id,
            self.version,
            part_no,
            self.part_count()
        )
    }

    /// Everything needed to create each snapshot of backup `id`, part 1 first.
    pub fn snapshot_parts(&self, id: BackupId) -> Vec<SnapshotPart> {
        self.parts_with(id, None)
    }

    /// The parts of backup `id` made by `trigger`: the same as
    /// [`BackupPlan::snapshot_parts`] with `"trigger"` added to each part's
    /// metadata (SPEC §10), so retention can tell them from manual backups.
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupPlan, Trigger};
    ///
    /// let plan = BackupPlan::optimize("8.6.0").unwrap();
    /// let parts = plan.snapshot_parts_triggered_by(BackupId::new(7).unwrap(), Trigger::Schedule);
    /// assert_eq!(parts[0].metadata.trigger, Some(Trigger::Schedule));
    /// assert_eq!(parts[0].name, plan.snapshot_parts(BackupId::new(7).unwrap())[0].name);
    /// ```
    pub fn snapshot_parts_triggered_by(&self, id: BackupId, trigger: Trigger) -> Vec<SnapshotPart> {
        self.parts_with(id, Some(trigger))
    }

    fn parts_with(&self, id: BackupId, trigger: Option<Trigger>) -> Vec<SnapshotPart> {
        let part_count = self.part_count();
        (1..=part_count)
            .zip(&self.parts)
            .map(|(part_no, indices)| SnapshotPart {
                name: self.snapshot_name(id, part_no),
                indices: indices.clone(),
                metadata: PartMetadata {
                    backup_id: id,
                    version: self.version.clone(),
                    part_no,
                    part_count,
                    trigger,
                },
            })
            .collect()
    }

    /// The wildcard that finds every snapshot of backup `id`, of any version
    /// and part count. The `_` after the id keeps `1` from matching `10`.
    pub fn lookup_pattern(&self, id: BackupId) -> String {
        format!("{}_{}_*", self.prefix, id)
    }

    /// The wildcard that finds every snapshot of every backup.
    pub fn list_pattern(&self) -> String {
        format!("{}_*", self.prefix)
    }

    /// The version-free name that a POST of backup `id` claims before it
    /// creates any part: `{prefix}_{id}_claim`.
    ///
    /// Instances on different versions would create different part names,
    /// so the cluster's name uniqueness cannot decide between them; it can
    /// decide on this one name, which every version spells the same way.
    /// It is not a part name, so [`BackupPlan::parse_snapshot_name`] does
    /// not read it, and the lookup pattern of `id` finds it.
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupPlan};
    ///
    /// let id = BackupId::new(5).unwrap();
    /// let old = BackupPlan::optimize("8.6.0").unwrap();
    /// let new = BackupPlan::optimize("8.7.0").unwrap();
    /// assert_eq!(old.claim_name(id), "camunda_optimize_5_claim");
    /// assert_eq!(old.claim_name(id), new.claim_name(id));
    /// assert!(old.parse_snapshot_name(&old.claim_name(id)).is_none());
    /// assert_eq!(old.claim_id("camunda_optimize_5_claim"), Some(id));
    /// ```
    pub fn claim_name(&self, id: BackupId) -> String {
        format!("{}_{}_{}", self.prefix, id, CLAIM_SUFFIX)
    }

    /// The claim snapshot of backup `id`: [`BackupPlan::claim_name`], over
    /// an index wildcard that matches no index (an empty snapshot that the
    /// cluster finishes at once), metadata part number 0.
    ///
    /// ```
    /// use backup_actuator_core::{BackupId, BackupPlan};
    ///
    /// let plan = BackupPlan::optimize("8.6.0").unwrap();
    /// let claim = plan.claim_part(BackupId::new(5).unwrap());
    /// assert_eq!(claim.name, "camunda_optimize_5_claim");
    /// assert_eq!(claim.metadata.part_no, 0);
    /// ```
    pub fn claim_part(&self, id: BackupId) -> SnapshotPart {
        SnapshotPart {
            name: self.claim_name(id),
            indices: vec![CLAIM_INDICES.to_owned()],
            metadata: PartMetadata {
                backup_id: id,
                version: self.version.clone(),
                part_no: 0,
                part_count: self.part_count(),
                trigger: None,
            },
        }
    }

    /// The backup id of a claim name ([`BackupPlan::claim_name`]), or
    /// `None` for any other name.
    pub fn claim_id(&self, name: &str) -> Option<BackupId> {
        let rest = name.strip_prefix(self.prefix.as_str())?.strip_prefix('_')?;
        let digits = rest.strip_suffix(CLAIM_SUFFIX)?.strip_suffix('_')?;
        BackupId::new(canonical_number(digits)?)
    }

    /// Reads a snapshot name back, or `None` for a name this plan did not
    /// make: `{prefix}_{digits}_{X.Y.Z}_part_{n}_of_{N}` with `1 <= n <= N`,
    /// numbers written without leading zeros, the id in range.
    pub fn parse_snapshot_name<'a>(&self, name: &'a str) -> Option<ParsedSnapshotName<'a>> {
        let rest = name.strip_prefix(self.prefix.as_str())?.strip_prefix('_')?;
        let (id_digits, rest) = rest.split_once('_')?;
        let backup_id = BackupId::new(canonical_number(id_digits)?)?;
        let (version, rest) = rest.split_once("_part_")?;
        if !is_plain_version(version) {
            return None;
        }
        let (part_no, part_count) = rest.split_once("_of_")?;
        let part_no = u32::try_from(canonical_number(part_no)?).ok()?;
        let part_count = u32::try_from(canonical_number(part_count)?).ok()?;
        if part_no == 0 || part_no > part_count {
            return None;
        }
        Some(ParsedSnapshotName {
            backup_id,
            version,
            part_no,
            part_count,
        })
    }
}

/// A decimal number as this plan writes it: digits, no leading zero.
fn canonical_number(digits: &str) -> Option<u64> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

fn is_plain_version(version: &str) -> bool {
    let mut numbers = version.split('.');
    let three = numbers
        .by_ref()
        .take(3)
        .filter(|n| canonical_number(n).is_some())
        .count()
        == 3;
    three && numbers.next().is_none()
}

/// Cuts a host version to `X.Y.Z`: split on every non-digit, keep the first
/// three numbers (`8.6.0-SNAPSHOT` → `8.6.0`, `v3.10.0` → `3.10.0`).
fn plain_version(version: &str) -> Option<String> {
    let numbers: Vec<u64> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|piece| !piece.is_empty())
        .take(3)
        .map(|piece| piece.parse().ok())
        .collect::<Option<_>>()?;
    match numbers[..] {
        [x, y, z] => Some(format!("{x}.{y}.{z}")),
        _ => None,
    }
}

/// Builds a [`BackupPlan`]; see [`BackupPlan::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct BackupPlanBuilder {
    prefix: String,
    version: Option<String>,
    parts: Vec<Vec<String>>,
}

impl BackupPlanBuilder {
    /// The snapshot name prefix (default `camunda_optimize`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The host's version; it is cut to `X.Y.Z` when the plan is built.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Adds the next part with its index expressions (wildcards and
    /// `-exclusions` as the cluster accepts them).
    pub fn part<I, S>(mut self, indices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.parts
            .push(indices.into_iter().map(Into::into).collect());
        self
    }

    /// Adds Optimize's two parts: the import indices, then every other
    /// `optimize-*` index. Combine with [`BackupPlanBuilder::prefix`] to
    /// keep Optimize's layout under another name.
    ///
    /// Part 1 names the import indices by their aliases
    /// (`optimize-timestamp-based-import-index`), which the cluster resolves
    /// to the versioned index (`…_v5`). Part 2 excludes them with trailing
    /// wildcards (`-optimize-timestamp-based-import-index*`): a plain
    /// `-alias` after `optimize-*` removes only the alias name from the
    /// expansion, not the concrete `…_v5` index, so the import indices would
    /// be in both parts and a restore of both would collide.
    ///
    /// ```
    /// use backup_actuator_core::BackupPlan;
    ///
    /// let plan = BackupPlan::builder().prefix("acme").version("1.0.0").optimize_parts().build().unwrap();
    /// assert_eq!(plan.part_count(), 2);
    /// assert_eq!(plan.prefix(), "acme");
    /// ```
    pub fn optimize_parts(self) -> Self {
        self.part(OPTIMIZE_IMPORT_INDICES).part(
            std::iter::once("optimize-*".to_owned())
                .chain(OPTIMIZE_IMPORT_INDICES.iter().map(|i| format!("-{i}*"))),
        )
    }

    /// Checks the configuration and builds the plan.
    pub fn build(self) -> Result<BackupPlan, PlanError> {
        check_prefix(&self.prefix).map_err(|reason| PlanError::InvalidPrefix {
            prefix: self.prefix.clone(),
            reason,
        })?;
        let given = self.version.ok_or(PlanError::MissingVersion)?;
        let version = plain_version(&given).ok_or(PlanError::InvalidVersion { version: given })?;
        if self.parts.is_empty() {
            return Err(PlanError::NoParts);
        }
        if let Some(i) = self
            .parts
            .iter()
            .position(|p| p.is_empty() || p.iter().any(String::is_empty))
        {
            return Err(PlanError::EmptyIndexExpression {
                part_no: i as u32 + 1,
            });
        }
        Ok(BackupPlan {
            prefix: self.prefix,
            version,
            parts: self.parts,
        })
    }
}

/// A plan that cannot be used; `Display` is meant for the operator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The prefix breaks the snapshot naming rules.
    #[error("invalid snapshot prefix [{prefix}]: {reason}")]
    InvalidPrefix {
        /// The prefix as configured.
        prefix: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// No version was given.
    #[error("no application version configured")]
    MissingVersion,
    /// The version has fewer than three numbers in it, or one too large.
    #[error("invalid application version [{version}]: expected three numbers, as in 8.6.0, none above 18446744073709551615")]
    InvalidVersion {
        /// The version as configured.
        version: String,
    },
    /// The plan has no parts.
    #[error("a backup plan needs at least one part")]
    NoParts,
    /// A part has no index expressions, or an empty one.
    #[error("part {part_no} of the backup plan has no (or an empty) index expression")]
    EmptyIndexExpression {
        /// The part, 1-based.
        part_no: u32,
    },
}

/// One snapshot to create for a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotPart {
    /// The snapshot name.
    pub name: String,
    /// The index expressions the snapshot covers.
    pub indices: Vec<String>,
    /// The metadata stored with the snapshot.
    pub metadata: PartMetadata,
}

/// The user metadata stored with every snapshot part:
/// `{"backupId", "version", "partNo", "partCount"}`, and `"trigger"` for a
/// part that was not made by hand (SPEC §10).
///
/// ```
/// use backup_actuator_core::{BackupId, BackupPlan, Trigger};
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let id = BackupId::new(7).unwrap();
/// let manual = serde_json::to_string(&plan.snapshot_parts(id)[0].metadata).unwrap();
/// assert_eq!(manual, r#"{"backupId":7,"version":"8.6.0","partNo":1,"partCount":2}"#);
/// let scheduled = &plan.snapshot_parts_triggered_by(id, Trigger::Schedule)[0].metadata;
/// assert_eq!(
///     serde_json::to_string(scheduled).unwrap(),
///     r#"{"backupId":7,"version":"8.6.0","partNo":1,"partCount":2,"trigger":"schedule"}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartMetadata {
    /// The backup this part belongs to.
    pub backup_id: BackupId,
    /// The plan's `X.Y.Z` version.
    pub version: String,
    /// 1-based part number; 0 on a claim ([`BackupPlan::claim_part`]).
    pub part_no: u32,
    /// Number of parts of the backup.
    pub part_count: u32,
    /// What made the backup; `None` (and no field at all) for a backup
    /// made through the API, so manual backups keep §3's four fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
}

/// What made a backup, stored as `"trigger"` in its parts' metadata.
///
/// ```
/// use backup_actuator_core::Trigger;
///
/// assert_eq!(Trigger::Schedule.as_str(), "schedule");
/// assert_eq!(Trigger::from_metadata("schedule"), Some(Trigger::Schedule));
/// assert_eq!(Trigger::from_metadata("slm"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Trigger {
    /// A scheduled backup (SPEC §10): `"schedule"`.
    Schedule,
}

impl Trigger {
    /// The value stored in the metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
        }
    }

    /// Reads a stored value back; any other value is `None`.
    pub fn from_metadata(value: &str) -> Option<Trigger> {
        (value == "schedule").then_some(Trigger::Schedule)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot name read back by [`BackupPlan::parse_snapshot_name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedSnapshotName<'a> {
    /// The backup id in the name.
    pub backup_id: BackupId,
    /// The `X.Y.Z` version in the name.
    pub version: &'a str,
    /// The part number `n`.
    pub part_no: u32,
    /// The part count `N`.
    pub part_count: u32,
}
