//! Properties that hold for every input, not just the examples of the SPEC.

use backup_actuator_core::{
    BackupId, BackupPlan, BackupRequest, Backups, OutputZone, SnapshotRecord, SnapshotState,
};
use proptest::prelude::*;

fn any_id() -> impl Strategy<Value = BackupId> {
    (0..=i64::MAX as u64).prop_map(|n| BackupId::new(n).unwrap())
}

/// SPEC §3's rule, written apart from the plan: every number ASCII digits
/// with no leading zero (`0` alone allowed), three in the version, the id
/// at most 9223372036854775807 (compared as text), `1 <= n <= N`.
fn spec_3_parse(
    id: &str,
    version: &str,
    part_no: &str,
    part_count: &str,
) -> Option<(u64, u32, u32)> {
    let written = |d: &str| {
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && (d == "0" || !d.starts_with('0'))
    };
    const MAX: &str = "9223372036854775807";
    let id_in_range = id.len() < MAX.len() || (id.len() == MAX.len() && id <= MAX);
    let numbers: Vec<&str> = version.split('.').collect();
    if !(written(id) && id_in_range && numbers.len() == 3 && numbers.iter().all(|n| written(n))) {
        return None;
    }
    if !(written(part_no) && written(part_count)) {
        return None;
    }
    let (n, of): (u32, u32) = (part_no.parse().ok()?, part_count.parse().ok()?);
    (1 <= n && n <= of).then(|| (id.parse().unwrap(), n, of))
}

fn any_state() -> impl Strategy<Value = SnapshotState> {
    prop_oneof![
        Just(SnapshotState::Success),
        Just(SnapshotState::InProgress),
        Just(SnapshotState::Failed),
        Just(SnapshotState::Partial),
        Just(SnapshotState::Incompatible),
        "[A-Z_]{1,12}".prop_map(|s| SnapshotState::from_wire(&s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn build_then_parse_round_trips_for_every_id_and_version(
        id in any_id(),
        (x, y, z) in (0u32..100_000, 0u32..100_000, 0u32..100_000),
        suffix in "(-[A-Za-z0-9.]{0,10})?",
        part_count in 1u32..8,
    ) {
        let version = format!("{x}.{y}.{z}{suffix}");
        let mut builder = BackupPlan::builder().prefix("camunda_optimize").version(version);
        for n in 0..part_count {
            builder = builder.part([format!("index-{n}")]);
        }
        let plan = builder.build().unwrap();
        prop_assert_eq!(plan.version(), format!("{x}.{y}.{z}"));
        for (i, part) in plan.snapshot_parts(id).into_iter().enumerate() {
            let parsed = plan.parse_snapshot_name(&part.name).unwrap();
            prop_assert_eq!(parsed.backup_id, id);
            prop_assert_eq!(parsed.part_no, i as u32 + 1);
            prop_assert_eq!(parsed.part_count, part_count);
            prop_assert_eq!(parsed.version, plan.version());
        }
    }

    #[test]
    fn path_id_round_trips_through_display(id in any_id()) {
        prop_assert_eq!(BackupId::from_path_segment(&id.to_string()), Ok(id));
    }

    #[test]
    fn body_id_round_trips_as_number_and_as_string(id in any_id()) {
        let number = format!(r#"{{"backupId":{id}}}"#);
        let string = format!(r#"{{"backupId":"{id}"}}"#);
        prop_assert_eq!(BackupRequest::from_json(number.as_bytes()).map(|r| r.backup_id), Ok(id));
        prop_assert_eq!(BackupRequest::from_json(string.as_bytes()).map(|r| r.backup_id), Ok(id));
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let _ = plan.parse_snapshot_name(&s);
        let _ = BackupId::from_path_segment(&s);
        let _ = BackupRequest::from_json(s.as_bytes());
        let _ = OutputZone::parse(&s);
    }

    #[test]
    fn parsing_never_panics_on_name_like_strings(s in "camunda_optimize_[0-9_.a-z-]{0,40}") {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        if let Some(parsed) = plan.parse_snapshot_name(&s) {
            // Whatever parses names its own id, so a lookup finds it.
            prop_assert!(s.starts_with(plan.lookup_pattern(parsed.backup_id).trim_end_matches('*')));
        }
    }

    /// SPEC §3 "parsing a name back", on names built from the plan's shape
    /// whose every number may carry a leading zero or leave the range: a
    /// name parses exactly when each number is written as the plan writes
    /// it, the id is in range and `1 <= n <= N`; and then to those numbers.
    #[test]
    fn a_name_of_the_plans_shape_parses_exactly_when_spec_3_says(
        id in prop_oneof!["[1-9][0-9]{0,18}", "0", "0[0-9]{1,3}", "[1-9][0-9]{18,20}"],
        version in prop_oneof!["[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}", "[0-9]{1,2}(\\.[0-9]{1,2}){1,3}"],
        part_no in "[0-9]{1,2}",
        part_count in "[0-9]{1,2}",
    ) {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let name = format!("camunda_optimize_{id}_{version}_part_{part_no}_of_{part_count}");
        let parsed = plan.parse_snapshot_name(&name);
        match spec_3_parse(&id, &version, &part_no, &part_count) {
            Some((id, n, of)) => {
                let parsed = parsed.unwrap_or_else(|| panic!("{name} parses"));
                prop_assert_eq!(parsed.backup_id.get(), id);
                prop_assert_eq!(parsed.version, version.as_str());
                prop_assert_eq!((parsed.part_no, parsed.part_count), (n, of));
            }
            None => prop_assert!(parsed.is_none(), "{} does not parse", name),
        }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_bodies(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = BackupRequest::from_json(&bytes);
    }

    #[test]
    fn parsed_ids_are_the_only_digits_in_a_lookup(id in any_id()) {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let pattern = plan.lookup_pattern(id);
        prop_assert!(pattern.strip_prefix("camunda_optimize_").unwrap().trim_end_matches("_*").bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn aggregation_is_independent_of_input_order(
        snapshots in proptest::collection::vec((0u64..4, 1u32..4, 2u32..4, any_state(), proptest::option::of(0i64..2_000_000_000_000)), 0..12),
        seed in any::<u64>(),
    ) {
        let plan = BackupPlan::optimize("8.6.0").unwrap();
        let records: Vec<SnapshotRecord> = snapshots
            .iter()
            .enumerate()
            .map(|(i, (id, n, of, state, start))| {
                let name = if *n <= *of {
                    format!("camunda_optimize_{id}_8.{i}.0_part_{n}_of_{of}")
                } else {
                    format!("camunda_optimize_{id}_junk_{i}")
                };
                SnapshotRecord { name, state: state.clone(), start_time_millis: *start, failures: vec![], trigger: None }
            })
            .collect();
        let mut shuffled = records.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let zone = OutputZone::utc();
        let a = Backups::from_snapshots(&plan, records, &zone);
        let b = Backups::from_snapshots(&plan, shuffled, &zone);
        prop_assert_eq!(a.list(), b.list());
        let mut ia = a.ignored().to_vec();
        let mut ib = b.ignored().to_vec();
        ia.sort();
        ib.sort();
        prop_assert_eq!(ia, ib);
    }
}
