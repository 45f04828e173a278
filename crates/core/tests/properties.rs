//! Properties that hold for every input, not just the examples of the SPEC.

use backup_actuator_core::{
    BackupId, BackupPlan, BackupRequest, Backups, OutputZone, SnapshotRecord, SnapshotState,
};
use proptest::prelude::*;

fn any_id() -> impl Strategy<Value = BackupId> {
    (0..=i64::MAX as u64).prop_map(|n| BackupId::new(n).unwrap())
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
