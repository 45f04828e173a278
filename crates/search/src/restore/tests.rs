use backup_actuator_core::BackupId;

use super::*;

fn plan(selection: RestoreSelection) -> RestorePlan {
    RestorePlan::new(
        BackupId::new(7).unwrap(),
        "backups",
        vec![RestorePart {
            snapshot: "camunda_optimize_7_8.6.0_part_1_of_1".into(),
            part_no: 1,
            indices: vec!["optimize-a".into(), "optimize-b".into()],
            existing: vec!["restored-optimize-b".into()],
        }],
    )
    .with_selection(selection)
}

#[test]
fn a_rename_group_reference_reads_as_java_reads_it() {
    // `$1` then a literal `0` when the pattern has one group; `$10` when it has ten.
    assert_eq!(java_replacement("x-$10", 1).unwrap(), "x-${1}0");
    assert_eq!(java_replacement("x-$10", 10).unwrap(), "x-${10}");
    assert_eq!(java_replacement("$0-copy", 0).unwrap(), "${0}-copy");
    assert_eq!(java_replacement("${name}", 1).unwrap(), "${name}");
    assert_eq!(java_replacement("a\\$b", 0).unwrap(), "a$$b");
    assert!(java_replacement("$2", 1).is_err());
    assert!(java_replacement("cost$", 0).is_err());
    assert!(java_replacement("x\\", 0).is_err());
}

#[test]
fn a_rename_replaces_every_match_as_the_engines_do() {
    let selection = RestoreSelection::new()
        .rename("optimize-(.+)", "restored-optimize-$1")
        .unwrap();
    assert_eq!(
        selection.renamed("optimize-report"),
        "restored-optimize-report"
    );
    assert_eq!(selection.renamed("other"), "other");
    let every = RestoreSelection::new().rename("-", "_").unwrap();
    assert_eq!(
        every.renamed("optimize-process-instance"),
        "optimize_process_instance"
    );
}

#[test]
fn a_rename_pattern_this_side_cannot_evaluate_is_refused() {
    let err = RestoreSelection::new().rename("(?<=x)y", "z").unwrap_err();
    assert!(matches!(err, RestoreError::BadRename { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("invalid rename_pattern [(?<=x)y]: "),
        "{err}"
    );
}

#[test]
fn the_plan_shows_the_selection_and_each_new_name() {
    let selection = RestoreSelection::new()
        .indices(["optimize-a", "optimize-b"])
        .rename("(.+)", "restored-$1")
        .unwrap();
    let plan = plan(selection);
    assert_eq!(
        plan.targets(),
        ["restored-optimize-a", "restored-optimize-b"]
    );
    let text = plan.to_string();
    assert!(
        text.contains("  only the indices [optimize-a, optimize-b]\n"),
        "{text}"
    );
    assert!(
        text.contains("  renamed: rename_pattern [(.+)], rename_replacement [restored-$1]\n"),
        "{text}"
    );
    assert!(
        text.contains("    optimize-a -> restored-optimize-a\n"),
        "{text}"
    );
    assert!(
        text.contains("    optimize-b -> restored-optimize-b (exists)\n"),
        "{text}"
    );
}

#[test]
fn without_a_selection_the_plan_restores_every_index_under_its_name() {
    let plan = plan(RestoreSelection::new());
    assert_eq!(plan.targets(), ["optimize-a", "optimize-b"]);
    assert!(!plan.to_string().contains("renamed"));
    assert!(!plan.to_string().contains("->"));
}
