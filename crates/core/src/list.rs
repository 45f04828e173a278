//! The list answer for a repository of any size (SPEC §4, §6).
//!
//! A [`BackupList`] keeps only the snapshot records, each beside its parsed
//! name (parsed once), sorted into backups. One pass aggregates each backup
//! to measure the answer's exact length and notes its state and start
//! ([`BackupSummary`], what metrics read); the answer is then written a
//! chunk at a time, aggregating each backup again when its turn comes. So
//! the memory is the records and one chunk, never the whole document, and
//! the bytes and `Content-Length` are those of the answer written at once.

use std::io;

use crate::aggregate::{aggregate, BackupInfo, Key};
use crate::circumstances::Circumstances;
use crate::plan::BackupPlan;
use crate::snapshot::SnapshotRecord;
use crate::time::OutputZone;
use crate::wire::Compatibility;

/// The backups of a list answer, aggregated and serialized on demand.
///
/// Writing it out chunk by chunk gives exactly the bytes of
/// `serde_json::to_vec(&compat.backups(backups.list()))`.
///
/// ```
/// use backup_actuator_core::{
///     BackupList, BackupPlan, Compatibility, ListPosition, OutputZone, SnapshotRecord,
///     SnapshotState,
/// };
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let snapshots = vec![
///     SnapshotRecord::new("camunda_optimize_7_8.6.0_part_2_of_2", SnapshotState::Success),
///     SnapshotRecord::new("camunda_optimize_7_8.6.0_part_1_of_2", SnapshotState::Success),
///     SnapshotRecord::new("camunda_optimize_7_before_upgrade", SnapshotState::Success),
/// ];
/// let (list, ignored) =
///     BackupList::new(&plan, snapshots, OutputZone::utc(), Compatibility::Documented).unwrap();
/// assert_eq!(ignored, ["camunda_optimize_7_before_upgrade"]);
///
/// let mut answer = Vec::new();
/// let mut at = ListPosition::default();
/// while let Some(chunk) = list.next_chunk(&mut at, 64 * 1024) {
///     answer.extend_from_slice(&chunk);
/// }
/// assert_eq!(answer.len() as u64, list.len());
/// assert!(answer.starts_with(br#"[{"backupId":7,"failureReason":null,"state":"COMPLETE""#));
/// ```
#[derive(Clone, Debug)]
pub struct BackupList {
    /// By backup id, then part number, then name; ignored names removed.
    records: Vec<SnapshotRecord>,
    /// `keys[i]` is the parsed name of `records[i]`.
    keys: Vec<Key>,
    /// Where each backup's snapshots start in `records`; one more entry
    /// than there are backups, the last being `records.len()`.
    starts: Vec<usize>,
    zone: OutputZone,
    compat: Compatibility,
    circumstances: Circumstances,
    /// Each backup's state and start, from the pass that measured the answer.
    summaries: Vec<BackupSummary>,
    len: u64,
}

/// One backup of a [`BackupList`] in brief: its state and when it started,
/// from the same pass that measured the answer, so a reader that counts
/// states (metrics) need not aggregate the list again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// The backup id.
    pub backup_id: crate::BackupId,
    /// Its state (SPEC §4).
    pub state: crate::BackupState,
    /// The earliest `start_time_in_millis` of its parts, if any says.
    pub started_millis: Option<i64>,
}

/// How far a [`BackupList`] has been written; starts at the beginning.
///
/// ```
/// use backup_actuator_core::{BackupList, BackupPlan, Compatibility, ListPosition, OutputZone};
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let (list, _) =
///     BackupList::new(&plan, Vec::new(), OutputZone::utc(), Compatibility::Documented).unwrap();
/// let mut at = ListPosition::default();
/// assert_eq!(list.next_chunk(&mut at, 1).as_deref(), Some(&b"["[..]));
/// assert_eq!(list.next_chunk(&mut at, 1).as_deref(), Some(&b"]"[..]));
/// assert_eq!(list.next_chunk(&mut at, 1), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListPosition {
    /// Tokens written so far: `[`, then each backup, then `]`.
    written: usize,
}

impl BackupList {
    /// Sorts `snapshots` into backups in place and measures the answer.
    ///
    /// Returns the list and the names that matched but are not parts of a
    /// backup (the caller logs them). Fails only if a backup cannot be
    /// serialized, which the types here never cause; the error is reported
    /// now, before any byte of the answer is sent.
    pub fn new(
        plan: &BackupPlan,
        snapshots: Vec<SnapshotRecord>,
        zone: OutputZone,
        compat: Compatibility,
    ) -> Result<(BackupList, Vec<String>), serde_json::Error> {
        BackupList::judge(plan, snapshots, zone, compat, Circumstances::default())
    }

    /// [`BackupList::new`], judging each backup in `circumstances` as
    /// [`Backups::judge`](crate::Backups::judge) does: each backup of the
    /// list is the one GET answers for it.
    pub fn judge(
        plan: &BackupPlan,
        mut snapshots: Vec<SnapshotRecord>,
        zone: OutputZone,
        compat: Compatibility,
        circumstances: Circumstances,
    ) -> Result<(BackupList, Vec<String>), serde_json::Error> {
        // Name order first; the stable sort by (id, part) keeps it within a
        // part, which is the details order of SPEC §4. Unparsable names
        // (`None`) sort first and are split off.
        snapshots.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        // Each name parsed once, and the records sorted where they lie: at
        // 100,000 backups a record array is about 30 MB, and pairing each
        // record with its key in new vectors held it three times at once.
        let mut order: Vec<(Option<Key>, usize)> = snapshots
            .iter()
            .enumerate()
            .map(|(at, record)| (Key::of(plan, &record.name), at))
            .collect();
        order.sort_by_key(|(key, _)| key.map(|k| (k.backup_id, k.part_no)));
        let (keys, sources): (Vec<Option<Key>>, Vec<usize>) = order.into_iter().unzip();
        permute(&mut snapshots, sources);
        let ignored_count = keys.iter().take_while(|key| key.is_none()).count();
        let ignored = snapshots
            .drain(..ignored_count)
            .map(|record| record.name)
            .collect();
        // The `None`s were exactly the first `ignored_count`.
        let keys: Vec<Key> = keys.into_iter().flatten().collect();

        let mut starts: Vec<usize> = (0..keys.len())
            .filter(|&i| i == 0 || keys[i].backup_id != keys[i - 1].backup_id)
            .collect();
        starts.push(keys.len());
        let mut list = BackupList {
            records: snapshots,
            keys,
            starts,
            zone,
            compat,
            circumstances,
            summaries: Vec::new(),
            len: 0,
        };
        // One pass measures the answer and notes each backup's summary.
        let mut counter = ByteCounter(0);
        let mut summaries = Vec::with_capacity(list.backup_count());
        counter.0 += 1; // `[`
        for i in 0..list.backup_count() {
            if i > 0 {
                counter.0 += 1; // `,`
            }
            let backup = list.backup(i);
            summaries.push(BackupSummary {
                backup_id: backup.backup_id,
                state: backup.state,
                started_millis: list.started_millis(i),
            });
            serde_json::to_writer(&mut counter, &list.compat.backup(&backup))?;
        }
        counter.0 += 1; // `]`
        list.len = counter.0;
        list.summaries = summaries;
        Ok((list, ignored))
    }

    /// The exact length of the answer in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if the list holds no backup (the answer is then `[]`).
    pub fn is_empty(&self) -> bool {
        self.backup_count() == 0
    }

    /// How many backups the list holds.
    pub fn backup_count(&self) -> usize {
        self.starts.len() - 1
    }

    /// The backups by id ascending, each aggregated when it is reached.
    pub fn backups(&self) -> impl Iterator<Item = BackupInfo> + '_ {
        (0..self.backup_count()).map(|i| self.backup(i))
    }

    /// The next part of the answer, at least `min_len` bytes unless the
    /// answer ends first; `None` once everything was written.
    pub fn next_chunk(&self, at: &mut ListPosition, min_len: usize) -> Option<Vec<u8>> {
        let mut chunk = Vec::with_capacity(min_len.saturating_add(1024));
        // Serialization succeeded when the length was measured, and it is
        // deterministic; an error here would end the answer short.
        while chunk.len() < min_len && self.write_token(at, &mut chunk).unwrap_or(false) {}
        (!chunk.is_empty()).then_some(chunk)
    }

    fn backup(&self, i: usize) -> BackupInfo {
        let (start, end) = (self.starts[i], self.starts[i + 1]);
        let group = self.keys[start..end]
            .iter()
            .copied()
            .zip(self.records[start..end].iter().cloned())
            .collect();
        aggregate(
            self.keys[start].backup_id,
            group,
            &self.zone,
            &self.circumstances,
        )
    }

    /// Each backup's state and start, by id ascending, without aggregating.
    pub fn summaries(&self) -> &[BackupSummary] {
        &self.summaries
    }

    /// The earliest start of the parts (not the claim) of the `i`-th backup.
    fn started_millis(&self, i: usize) -> Option<i64> {
        let (start, end) = (self.starts[i], self.starts[i + 1]);
        self.keys[start..end]
            .iter()
            .zip(&self.records[start..end])
            .filter(|(key, _)| !key.is_claim())
            .filter_map(|(_, record)| record.start_time_millis)
            .min()
    }

    /// Writes the token at `at` and advances; false once nothing is left.
    fn write_token(
        &self,
        at: &mut ListPosition,
        out: &mut impl io::Write,
    ) -> Result<bool, serde_json::Error> {
        let count = self.backup_count();
        match at.written {
            0 => out.write_all(b"[").map_err(serde_json::Error::io)?,
            n if n <= count => {
                if n > 1 {
                    out.write_all(b",").map_err(serde_json::Error::io)?;
                }
                let backup = self.backup(n - 1);
                serde_json::to_writer(&mut *out, &self.compat.backup(&backup))?;
            }
            n if n == count + 1 => out.write_all(b"]").map_err(serde_json::Error::io)?,
            _ => return Ok(false),
        }
        at.written += 1;
        Ok(true)
    }

    /// The id of the `i`-th backup, for tests and logs.
    #[cfg(test)]
    fn backup_id(&self, i: usize) -> crate::BackupId {
        self.keys[self.starts[i]].backup_id
    }
}

/// Counts what would be written.
struct ByteCounter(u64);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reorders `items` in place so that position `i` holds what was at
/// `sources[i]` (`sources` a permutation of `0..items.len()`), by following
/// each cycle with swaps: no second array of items.
fn permute<T>(items: &mut [T], mut sources: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        loop {
            let from = sources[at];
            sources[at] = at;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Backups;
    use crate::snapshot::{ShardFailure, SnapshotState};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn permute_puts_each_item_where_its_source_says(
            sources in Just((0..40usize).collect::<Vec<_>>()).prop_shuffle()
        ) {
            let items: Vec<String> = (0..sources.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = sources.iter().map(|&from| items[from].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, sources);
            prop_assert_eq!(permuted, expected);
        }
    }

    fn whole(list: &BackupList, min_len: usize) -> Vec<u8> {
        let mut answer = Vec::new();
        let mut at = ListPosition::default();
        while let Some(chunk) = list.next_chunk(&mut at, min_len) {
            assert!(!chunk.is_empty());
            answer.extend_from_slice(&chunk);
        }
        answer
    }

    fn all_at_once(
        plan: &BackupPlan,
        snapshots: Vec<SnapshotRecord>,
        compat: Compatibility,
    ) -> Vec<u8> {
        let backups = Backups::from_snapshots(plan, snapshots, &OutputZone::utc());
        serde_json::to_vec(&compat.backups(backups.list())).unwrap()
    }

    #[test]
    fn an_empty_list_is_two_brackets() {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let (list, ignored) = BackupList::new(
            &plan,
            Vec::new(),
            OutputZone::utc(),
            Compatibility::Documented,
        )
        .unwrap();
        assert!(ignored.is_empty() && list.is_empty());
        assert_eq!(list.len(), 2);
        assert_eq!(whole(&list, 1), b"[]");
    }

    #[test]
    fn details_are_by_part_number_then_name_across_versions() {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let names = [
            "camunda_optimize_5_8.5.0_part_2_of_2",
            "camunda_optimize_5_10.0.0_part_2_of_2",
            "camunda_optimize_5_8.6.0_part_1_of_2",
            "camunda_optimize_5_10.0.0_part_1_of_2",
        ];
        let snapshots: Vec<_> = names
            .iter()
            .map(|n| SnapshotRecord::new(*n, SnapshotState::Success))
            .collect();
        let (list, _) = BackupList::new(
            &plan,
            snapshots,
            OutputZone::utc(),
            Compatibility::Documented,
        )
        .unwrap();
        let backup = list.backups().next().unwrap();
        let order: Vec<_> = backup
            .details
            .iter()
            .map(|d| d.snapshot_name.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "camunda_optimize_5_10.0.0_part_1_of_2",
                "camunda_optimize_5_8.6.0_part_1_of_2",
                "camunda_optimize_5_10.0.0_part_2_of_2",
                "camunda_optimize_5_8.5.0_part_2_of_2",
            ]
        );
    }

    fn record() -> impl Strategy<Value = SnapshotRecord> {
        let name = prop_oneof![
            (
                1u64..6,
                1u32..4,
                1u32..4,
                prop_oneof![Just("8.6.0"), Just("10.0.0")]
            )
                .prop_map(|(id, part, count, version)| format!(
                    "camunda_optimize_{id}_{version}_part_{part}_of_{count}"
                )),
            (1u64..6).prop_map(|id| format!("camunda_optimize_{id}_before_upgrade")),
        ];
        let state = prop_oneof![
            Just(SnapshotState::Success),
            Just(SnapshotState::Failed),
            Just(SnapshotState::InProgress),
            Just(SnapshotState::Partial),
            Just(SnapshotState::Incompatible),
        ];
        (
            name,
            state,
            proptest::option::of(0i64..2_000_000_000_000),
            any::<bool>(),
        )
            .prop_map(|(name, state, start, failed_shard)| {
                let mut record = SnapshotRecord::new(name, state);
                record.start_time_millis = start;
                if failed_shard {
                    record.failures.push(ShardFailure {
                        index: Some("optimize-decision-instance".into()),
                        shard_id: Some(0),
                        reason: Some("disk \"full\"".into()),
                        ..ShardFailure::default()
                    });
                }
                record
            })
    }

    proptest! {
        #[test]
        fn written_in_chunks_the_list_is_the_whole_answer_byte_for_byte(
            // A repository holds a name once; equal names have no order.
            snapshots in proptest::collection::vec(record(), 0..24).prop_map(|mut all| {
                let mut seen = std::collections::HashSet::new();
                all.retain(|r| seen.insert(r.name.clone()));
                all
            }),
            min_len in 1usize..400,
            optimize in any::<bool>(),
        ) {
            let plan = BackupPlan::optimize("8.6.0").unwrap();
            let compat = if optimize { Compatibility::OptimizeServer } else { Compatibility::Documented };
            let expected = all_at_once(&plan, snapshots.clone(), compat);
            let (list, _) = BackupList::new(&plan, snapshots, OutputZone::utc(), compat).unwrap();
            prop_assert_eq!(list.len(), expected.len() as u64);
            let answer = whole(&list, min_len);
            prop_assert_eq!(String::from_utf8(answer).unwrap(), String::from_utf8(expected).unwrap());
            let ids: Vec<_> = (0..list.backup_count()).map(|i| list.backup_id(i)).collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
