//! SPEC §3: snapshot naming, the plan, and reading names back.

use backup_actuator_core::{BackupId, BackupPlan, PlanError};

fn id(n: u64) -> BackupId {
    BackupId::new(n).unwrap()
}

fn optimize() -> BackupPlan {
    BackupPlan::optimize("3.10.0").unwrap()
}

#[test]
fn name_is_prefix_id_version_part_n_of_n() {
    assert_eq!(
        optimize().snapshot_name(id(123456), 1),
        "camunda_optimize_123456_3.10.0_part_1_of_2"
    );
}

#[test]
fn optimize_plan_has_two_parts_import_indices_first() {
    let plan = optimize();
    let parts: Vec<&[String]> = plan.parts().collect();
    assert_eq!(
        parts[0],
        [
            "optimize-timestamp-based-import-index",
            "optimize-position-based-import-index"
        ]
    );
    assert_eq!(
        parts[1],
        [
            "optimize-*",
            "-optimize-timestamp-based-import-index*",
            "-optimize-position-based-import-index*"
        ]
    );
}

#[test]
fn version_is_cut_to_x_y_z() {
    for (given, cut) in [
        ("8.6.0-SNAPSHOT", "8.6.0"),
        ("3.10.0", "3.10.0"),
        ("8.6.0-alpha4", "8.6.0"),
        ("v8.7.1", "8.7.1"),
        ("8.6.0.1", "8.6.0"),
        ("08.06.00", "8.6.0"),
    ] {
        assert_eq!(
            BackupPlan::optimize(given).unwrap().version(),
            cut,
            "{given}"
        );
    }
}

#[test]
fn version_with_fewer_than_three_numbers_is_refused() {
    for given in ["8.6", "", "SNAPSHOT", "8"] {
        assert_eq!(
            BackupPlan::optimize(given),
            Err(PlanError::InvalidVersion {
                version: given.to_owned()
            })
        );
    }
}

#[test]
fn prefix_default_is_camunda_optimize() {
    assert_eq!(optimize().prefix(), "camunda_optimize");
}

#[test]
fn prefix_breaking_the_rules_is_refused_when_the_plan_is_built() {
    for prefix in [
        "",
        "Upper",
        "_leading",
        "with space",
        "tab\t",
        "a\\b",
        "a/b",
        "a*",
        "a?",
        "a\"",
        "a<",
        "a>",
        "a|",
        "a,b",
        "a#",
    ] {
        let result = BackupPlan::builder()
            .prefix(prefix)
            .version("1.2.3")
            .part(["x"])
            .build();
        assert!(
            matches!(result, Err(PlanError::InvalidPrefix { .. })),
            "{prefix:?} gave {result:?}"
        );
    }
    let ok = BackupPlan::builder()
        .prefix("my-app.backups_v2")
        .version("1.2.3")
        .part(["x"])
        .build();
    assert!(ok.is_ok());
}

#[test]
fn plan_needs_parts_with_index_expressions() {
    assert_eq!(
        BackupPlan::builder().version("1.2.3").build(),
        Err(PlanError::NoParts)
    );
    assert_eq!(
        BackupPlan::builder()
            .version("1.2.3")
            .part(["a"])
            .part(Vec::<String>::new())
            .build(),
        Err(PlanError::EmptyIndexExpression { part_no: 2 })
    );
    assert_eq!(
        BackupPlan::builder().part(["a"]).build(),
        Err(PlanError::MissingVersion)
    );
}

#[test]
fn lookup_pattern_has_an_underscore_after_the_id() {
    assert_eq!(optimize().lookup_pattern(id(1)), "camunda_optimize_1_*");
    assert_eq!(optimize().list_pattern(), "camunda_optimize_*");
}

#[test]
fn parse_reads_back_what_the_plan_builds() {
    let plan = optimize();
    let parsed = plan
        .parse_snapshot_name("camunda_optimize_42_3.10.0_part_2_of_2")
        .unwrap();
    assert_eq!(parsed.backup_id, id(42));
    assert_eq!(parsed.version, "3.10.0");
    assert_eq!((parsed.part_no, parsed.part_count), (2, 2));
}

#[test]
fn parse_accepts_any_version_and_part_count() {
    let plan = optimize();
    let parsed = plan
        .parse_snapshot_name("camunda_optimize_42_8.8.1_part_3_of_7")
        .unwrap();
    assert_eq!(
        (parsed.version, parsed.part_no, parsed.part_count),
        ("8.8.1", 3, 7)
    );
}

#[test]
fn parse_ignores_foreign_names() {
    let plan = optimize();
    for name in [
        "camunda_optimize_5_before_upgrade",
        "camunda_optimize_abc_3.10.0_part_1_of_2",
        "camunda_optimize_5_3.10_part_1_of_2",
        "camunda_optimize_5_3.10.0.1_part_1_of_2",
        "camunda_optimize_5_3.10.x_part_1_of_2",
        "camunda_optimize_5_3.10.0_part_3_of_2",
        "camunda_optimize_5_3.10.0_part_0_of_2",
        "camunda_optimize_5_3.10.0_part_1_of_2_copy",
        "camunda_optimize_5_3.10.0_part_01_of_2",
        "camunda_optimize_05_3.10.0_part_1_of_2",
        "camunda_optimize_-5_3.10.0_part_1_of_2",
        "camunda_optimize_9223372036854775808_3.10.0_part_1_of_2",
        "camunda_optimize_99999999999999999999_3.10.0_part_1_of_2",
        "camunda_operate_5_3.10.0_part_1_of_2",
        "camunda_optimize5_3.10.0_part_1_of_2",
        "camunda_optimize__3.10.0_part_1_of_2",
        "",
    ] {
        assert_eq!(plan.parse_snapshot_name(name), None, "{name}");
    }
}

#[test]
fn parse_reads_the_id_only_from_its_digits_so_1_never_matches_10() {
    let plan = optimize();
    let parsed = plan
        .parse_snapshot_name("camunda_optimize_10_3.10.0_part_1_of_2")
        .unwrap();
    assert_eq!(parsed.backup_id, id(10));
    assert_ne!(parsed.backup_id, id(1));
}

#[test]
fn parts_carry_metadata_backup_id_version_part_no_part_count() {
    let parts = optimize().snapshot_parts(id(7));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].name, "camunda_optimize_7_3.10.0_part_2_of_2");
    let metadata = serde_json::to_string(&parts[1].metadata).unwrap();
    assert_eq!(
        metadata,
        r#"{"backupId":7,"version":"3.10.0","partNo":2,"partCount":2}"#
    );
}
