//! Restoring a backup into the cluster it lives in (SPEC §12): the step runbooks do by hand
//! with `_restore`. This module holds what a caller sees (the plan, the options, the
//! progress events, the errors); `requests.rs` the cluster calls.
//!
//! The requests are listed in the crate docs.

mod requests;

use std::fmt;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupState};
use backup_actuator_store::StoreError;

/// What restoring one backup would do: its parts in order, each with the indices it holds
/// and which of them exist in the cluster now. Made by `restore_plan`, carried out by
/// `restore_backup`; `Display` is the plan as the command line prints it.
///
/// ```
/// use backup_actuator_core::BackupId;
/// use backup_actuator_search::{RestorePart, RestorePlan};
///
/// let plan = RestorePlan::new(BackupId::new(7).unwrap(), "backups", vec![RestorePart {
///     snapshot: "camunda_optimize_7_8.6.0_part_1_of_1".into(),
///     part_no: 1,
///     indices: vec!["optimize-a".into(), "optimize-b".into()],
///     existing: vec!["optimize-b".into()],
/// }]);
/// assert_eq!(plan.existing_indices(), ["optimize-b"]);
/// assert!(plan.to_string().contains("optimize-b (exists)"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    backup_id: BackupId,
    repository: String,
    parts: Vec<RestorePart>,
    selection: RestoreSelection,
}

/// One part of a [`RestorePlan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePart {
    /// The snapshot name.
    pub snapshot: String,
    /// Its part number (parts are restored in this order).
    pub part_no: u32,
    /// The indices it holds, as the snapshot lists them.
    pub indices: Vec<String>,
    /// Those of them that exist in the cluster now.
    pub existing: Vec<String>,
}

impl RestorePlan {
    /// A plan from its parts (sorted here by part number).
    pub fn new(
        backup_id: BackupId,
        repository: impl Into<String>,
        mut parts: Vec<RestorePart>,
    ) -> RestorePlan {
        parts.sort_by_key(|part| part.part_no);
        RestorePlan {
            backup_id,
            repository: repository.into(),
            parts,
            selection: RestoreSelection::new(),
        }
    }

    /// The plan under `selection`: each part's [`RestorePart::indices`]
    /// are then the selected ones, and its [`RestorePart::existing`] are
    /// names the indices are restored *under* (see [`Self::target`]).
    /// [`ClusterStore::restore_plan_for`](crate::ClusterStore::restore_plan_for)
    /// makes such a plan from the cluster.
    pub fn with_selection(mut self, selection: RestoreSelection) -> RestorePlan {
        self.selection = selection;
        self
    }

    /// The selection the plan was made under.
    pub fn selection(&self) -> &RestoreSelection {
        &self.selection
    }

    /// The name `index` is restored under: itself, or its rename.
    pub fn target(&self, index: &str) -> String {
        match &self.selection.rename {
            Some(rename) => rename.apply(index),
            None => index.to_owned(),
        }
    }

    /// Every name the restore creates, in part order (the indices, renamed
    /// if the selection renames).
    pub fn targets(&self) -> Vec<String> {
        self.indices().into_iter().map(|i| self.target(i)).collect()
    }

    /// The backup restored.
    pub fn backup_id(&self) -> BackupId {
        self.backup_id
    }

    /// The repository it is read from.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The parts, in the order they are restored.
    pub fn parts(&self) -> &[RestorePart] {
        &self.parts
    }

    /// Every index the restore creates, in part order.
    pub fn indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.indices.iter().map(String::as_str))
            .collect()
    }

    /// The names to be restored under that exist now: a restore refuses
    /// them unless told to delete them.
    pub fn existing_indices(&self) -> Vec<&str> {
        self.parts
            .iter()
            .flat_map(|part| part.existing.iter().map(String::as_str))
            .collect()
    }
}

impl fmt::Display for RestorePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Restore of backup {} from repository [{}]: {} part(s), {} index(es), {} of them exist now",
            self.backup_id,
            self.repository,
            self.parts.len(),
            self.indices().len(),
            self.existing_indices().len()
        )?;
        if let Some(only) = &self.selection.indices {
            writeln!(f, "  only the indices [{}]", only.join(", "))?;
        }
        if let Some(rename) = &self.selection.rename {
            writeln!(
                f,
                "  renamed: rename_pattern [{}], rename_replacement [{}]",
                rename.pattern, rename.replacement
            )?;
        }
        for part in &self.parts {
            writeln!(
                f,
                "  part {} of {}: {} ({} index(es))",
                part.part_no,
                self.parts.len(),
                part.snapshot,
                part.indices.len()
            )?;
            for index in &part.indices {
                let target = self.target(index);
                let shown = if target == *index {
                    target.clone()
                } else {
                    format!("{index} -> {target}")
                };
                if part.existing.contains(&target) {
                    writeln!(f, "    {shown} (exists)")?;
                } else {
                    writeln!(f, "    {shown}")?;
                }
            }
        }
        Ok(())
    }
}

/// Which indices of a backup a restore takes, and under which names (SPEC
/// §12's `--indices` and `--rename-pattern` / `--rename-replacement`).
/// The default takes every index under its own name.
///
/// The rename is the engines' own: `rename_pattern` is a regular
/// expression, every match in an index name is replaced by
/// `rename_replacement`, in which `$1` is the first group. It is sent to
/// the engine as it is, and evaluated here too so the plan can show and
/// check the new names; a pattern this side cannot read (look-around,
/// back-references) is refused.
///
/// ```
/// use backup_actuator_search::RestoreSelection;
///
/// let selection = RestoreSelection::new()
///     .indices(["optimize-report"])
///     .rename("optimize-(.+)", "restored-optimize-$1")
///     .unwrap();
/// assert_eq!(selection.renamed("optimize-report"), "restored-optimize-report");
/// assert!(RestoreSelection::new().rename("(?<=x)y", "z").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreSelection {
    indices: Option<Vec<String>>,
    rename: Option<Rename>,
}

/// A compiled rename.
#[derive(Clone, Debug)]
struct Rename {
    pattern: String,
    replacement: String,
    regex: regex::Regex,
    /// `replacement` in the regex crate's syntax.
    expansion: String,
}

impl PartialEq for Rename {
    fn eq(&self, other: &Rename) -> bool {
        (&self.pattern, &self.replacement) == (&other.pattern, &other.replacement)
    }
}

impl Eq for Rename {}

impl Rename {
    fn apply(&self, index: &str) -> String {
        self.regex
            .replace_all(index, self.expansion.as_str())
            .into_owned()
    }
}

impl RestoreSelection {
    /// Every index, under its own name.
    pub fn new() -> RestoreSelection {
        RestoreSelection::default()
    }

    /// Only these indices of the backup's parts; naming one that no part
    /// holds is refused when the plan is made.
    pub fn indices<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.indices = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Restore under new names: every match of `pattern` in an index name
    /// replaced by `replacement` (`$1` for the first group), as the engines
    /// do with `rename_pattern` / `rename_replacement`.
    pub fn rename(mut self, pattern: &str, replacement: &str) -> Result<Self, RestoreError> {
        let bad = |why: String| RestoreError::BadRename {
            pattern: pattern.to_owned(),
            why,
        };
        let regex = regex::Regex::new(pattern).map_err(|e| bad(e.to_string()))?;
        let expansion = java_replacement(replacement, regex.captures_len() - 1).map_err(bad)?;
        self.rename = Some(Rename {
            pattern: pattern.to_owned(),
            replacement: replacement.to_owned(),
            regex,
            expansion,
        });
        Ok(self)
    }

    /// The indices asked for, if restricted.
    pub fn only_indices(&self) -> Option<&[String]> {
        self.indices.as_deref()
    }

    /// `rename_pattern` and `rename_replacement`, if renaming.
    pub fn rename_rule(&self) -> Option<(&str, &str)> {
        self.rename
            .as_ref()
            .map(|r| (r.pattern.as_str(), r.replacement.as_str()))
    }

    /// The name `index` is restored under.
    pub fn renamed(&self, index: &str) -> String {
        match &self.rename {
            Some(rename) => rename.apply(index),
            None => index.to_owned(),
        }
    }
}

/// A Java `Matcher.replaceAll` replacement (what the engines evaluate) in
/// the regex crate's syntax: `$n` takes as many digits as name an existing
/// group, `${name}` a named group, `\x` is `x` itself.
fn java_replacement(replacement: &str, groups: usize) -> Result<String, String> {
    let mut out = String::with_capacity(replacement.len() + 8);
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => return Err("the replacement ends with a lone backslash".to_owned()),
            },
            '$' => match chars.next() {
                Some('{') => {
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut number = d.to_digit(10).unwrap_or(0) as usize;
                    while let Some(next) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = number * 10 + next as usize;
                        if longer > groups {
                            break;
                        }
                        number = longer;
                        chars.next();
                    }
                    if number > groups {
                        return Err(format!(
                            "the replacement names group {number}, but the pattern has {groups}"
                        ));
                    }
                    out.push_str(&format!("${{{number}}}"));
                }
                _ => return Err(
                    "a `$` in the replacement must name a group (`$1`); write `\\$` for a dollar"
                        .to_owned(),
                ),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

/// How `restore_backup` goes about it.
///
/// ```
/// use std::time::Duration;
/// use backup_actuator_search::RestoreOptions;
///
/// let options = RestoreOptions::new()
///     .delete_existing(true)
///     .poll_interval(Duration::from_millis(500))
///     .part_timeout(Duration::from_secs(3600));
/// assert!(options.deletes_existing());
/// ```
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    delete_existing: bool,
    poll_interval: Duration,
    part_timeout: Duration,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions::new()
    }
}

impl RestoreOptions {
    /// Refuse existing indices; poll every second; give each part an hour.
    pub fn new() -> RestoreOptions {
        RestoreOptions {
            delete_existing: false,
            poll_interval: Duration::from_secs(1),
            part_timeout: Duration::from_secs(3600),
        }
    }

    /// Delete the indices to be restored that exist (exactly those) before restoring,
    /// instead of refusing.
    pub fn delete_existing(mut self, delete: bool) -> Self {
        self.delete_existing = delete;
        self
    }

    /// Whether existing indices are deleted first.
    pub fn deletes_existing(&self) -> bool {
        self.delete_existing
    }

    /// How often the health of a part's indices is read while it restores.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long one part may take before the restore gives up on it.
    pub fn part_timeout(mut self, timeout: Duration) -> Self {
        self.part_timeout = timeout;
        self
    }
}

/// What `restore_backup` reports while it works, for a progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreEvent<'a> {
    /// About to delete these existing indices.
    Deleting {
        /// The indices.
        indices: &'a [String],
    },
    /// A part's restore was accepted by the cluster.
    PartStarted {
        /// The part.
        part: &'a RestorePart,
    },
    /// How many of the part's indices have their primaries active.
    PartProgress {
        /// The part.
        part: &'a RestorePart,
        /// Indices no longer red.
        ready: usize,
    },
    /// Every index of the part has its primaries active.
    PartDone {
        /// The part.
        part: &'a RestorePart,
    },
}

/// One restored index as the final check found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredIndex {
    /// The index.
    pub name: String,
    /// Its health: `green` or `yellow`.
    pub health: String,
}

/// Why a restore did not happen or did not finish. Never contains a credential.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No snapshot of this backup id.
    #[error("No backup with ID [{backup_id}] could be found.")]
    NotFound {
        /// The id.
        backup_id: BackupId,
    },
    /// The backup is not COMPLETE, so it cannot be restored whole.
    #[error("backup {backup_id} is {}, not COMPLETE: only a complete backup can be restored{}", state.as_str(), reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NotComplete {
        /// The id.
        backup_id: BackupId,
        /// Its state.
        state: BackupState,
        /// Its failure reason, if FAILED.
        reason: Option<String>,
    },
    /// Indices to be restored exist and `delete_existing` was not asked for.
    #[error("refusing to restore: these indices exist: [{}]; delete them first or pass --delete-existing", names.join(", "))]
    IndicesExist {
        /// The existing indices.
        names: Vec<String>,
    },
    /// A part's indices did not become active in time.
    #[error(
        "restoring {snapshot} did not finish within {timeout:?}: {ready} of {total} indices active"
    )]
    Timeout {
        /// The part's snapshot.
        snapshot: String,
        /// The limit.
        timeout: Duration,
        /// Indices active by then.
        ready: usize,
        /// The part's indices.
        total: usize,
    },
    /// The final check found indices missing or red.
    #[error("the restore finished but these indices are missing or red: [{}]", names.join(", "))]
    Unhealthy {
        /// `name (status)` of each.
        names: Vec<String>,
    },
    /// `--indices` named indices that no part of the backup holds.
    #[error("backup {backup_id} holds no index [{}]; it holds [{}]", unknown.join(", "), available.join(", "))]
    UnknownIndices {
        /// The backup.
        backup_id: BackupId,
        /// The names no part holds.
        unknown: Vec<String>,
        /// Every index of the backup.
        available: Vec<String>,
    },
    /// A rename that cannot be used.
    #[error("invalid rename_pattern [{pattern}]: {why}")]
    BadRename {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        why: String,
    },
    /// The rename maps two indices onto one name.
    #[error("the rename restores both [{first}] and [{second}] as [{target}]")]
    RenameCollision {
        /// One index.
        first: String,
        /// The other.
        second: String,
        /// The name both get.
        target: String,
    },
    /// The cluster failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
