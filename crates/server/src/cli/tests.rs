//! The command line's rules: every flag, its environment variable and the
//! refusals, read the way a user types them.

use super::*;
use clap::CommandFactory;

fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
    let argv = ["backup-actuator", "serve"].iter().chain(args);
    Cli::try_parse_from(argv).map(|cli| match cli.command {
        Command::Serve(args) => args,
        other => panic!("not serve: {other:?}"),
    })
}

#[test]
fn cli_is_well_formed() {
    Cli::command().debug_assert();
}

#[test]
fn defaults_match_the_documentation() {
    let args = serve(&[]).unwrap();
    assert_eq!(args.listen, "127.0.0.1:8092".parse().unwrap());
    assert_eq!(args.cluster.backend, Backend::Memory);
    assert_eq!(args.cluster.repository, None);
    assert_eq!(args.cluster.prefix, "camunda_optimize");
    assert_eq!(args.app_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(args.compat, Compat::Documented);
    assert_eq!(args.cluster.request_timeout, Duration::from_secs(30));
    assert_eq!(args.memory_complete_after, Duration::from_secs(2));
    assert_eq!(args.base_path, "/actuator");
    assert_eq!(args.time_zone.name(), "UTC");
    assert_eq!(args.header_read_timeout, Duration::from_secs(30));
    assert_eq!(args.auth_token_file, None);
    assert_eq!(args.cluster.username, None);
    assert!(!args.metrics);
    assert_eq!(args.health_timeout, Duration::from_secs(2));
    // The optimize plan under the defaults is the core's.
    assert_eq!(
        args.plan().unwrap(),
        BackupPlan::optimize(env!("CARGO_PKG_VERSION")).unwrap()
    );
}

#[test]
fn durations_take_units() {
    let args = serve(&[
        "--request-timeout",
        "500ms",
        "--memory-complete-after",
        "2m",
    ])
    .unwrap();
    assert_eq!(args.cluster.request_timeout, Duration::from_millis(500));
    assert_eq!(args.memory_complete_after, Duration::from_secs(120));
    assert!(serve(&["--request-timeout", "soon"]).is_err());
}

#[test]
fn values_are_parsed() {
    let args = serve(&[
        "--listen",
        "0.0.0.0:9000",
        "--backend",
        "opensearch",
        "--url",
        "https://os:9200",
        "--repository",
        "backups",
        "--prefix",
        "orders",
        "--app-version",
        "8.6.0-SNAPSHOT",
        "--compat",
        "optimize-server",
        "--base-path",
        "/manage",
        "--time-zone",
        "Europe/Berlin",
    ])
    .unwrap();
    assert_eq!(args.cluster.backend, Backend::Opensearch);
    assert_eq!(args.cluster.url.as_deref(), Some("https://os:9200"));
    assert_eq!(args.cluster.repository.as_deref(), Some("backups"));
    assert_eq!(args.compat, Compat::OptimizeServer);
    let plan = args.plan().unwrap();
    assert_eq!((plan.prefix(), plan.version()), ("orders", "8.6.0"));
}

#[test]
fn there_is_no_password_flag() {
    let err = serve(&["--password", "hunter2"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let args = serve(&[
        "--backend",
        "elasticsearch",
        "--api-key",
        "s3cr3t-API-KEY",
        "--bearer-token",
        "s3cr3t-BEARER",
    ])
    .unwrap();
    assert_eq!(
        args.cluster.api_key.as_ref().unwrap().expose(),
        "s3cr3t-API-KEY"
    );
    let printed = format!("{args:?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");
    assert!(printed.contains("[redacted]"), "{printed}");
}

#[test]
fn invalid_time_zone_is_a_usage_error() {
    let err = serve(&["--time-zone", "Mars/Olympus"]).unwrap_err();
    assert!(
        err.to_string().contains("unknown time zone [Mars/Olympus]"),
        "{err}"
    );
}

#[test]
fn invalid_prefix_or_version_fails_the_plan() {
    assert!(serve(&["--prefix", "Bad*Prefix"]).unwrap().plan().is_err());
    assert!(serve(&["--app-version", "latest"]).unwrap().plan().is_err());
}

#[test]
fn client_options_default_as_spec_9() {
    let cli = Cli::try_parse_from(["backup-actuator", "backup", "list"]).unwrap();
    let Command::Backup(args) = cli.command else {
        panic!("not backup")
    };
    assert_eq!(args.client.url, "http://127.0.0.1:8092");
    assert_eq!(args.client.base_path, "/actuator");
    assert_eq!(args.client.token_file, None);
    assert_eq!(args.client.output, Output::Table);
    assert_eq!(args.client.poll_interval, Duration::from_secs(1));
    // The common options go before or after the command.
    let cli = Cli::try_parse_from([
        "backup-actuator",
        "backup",
        "wait",
        "7",
        "--timeout",
        "30m",
        "--output",
        "json",
    ])
    .unwrap();
    let Command::Backup(args) = cli.command else {
        panic!("not backup")
    };
    assert_eq!(args.client.output, Output::Json);
    assert!(
        matches!(args.command, BackupCommand::Wait { timeout: Some(t), .. } if t == Duration::from_secs(1800))
    );
}

#[test]
fn a_bad_backup_id_is_a_usage_error() {
    for id in ["abc", "1,*", "9223372036854775808", "1.5"] {
        let err = Cli::try_parse_from(["backup-actuator", "backup", "status", id]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{id}");
        assert!(
            err.to_string()
                .contains(&format!("invalid backup ID [{id}]")),
            "{err}"
        );
    }
    // A negative id reads as an unknown option: a usage error too.
    let err = Cli::try_parse_from(["backup-actuator", "backup", "status", "-1"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn restore_takes_the_cluster_options_of_serve() {
    let cli = Cli::try_parse_from([
        "backup-actuator",
        "restore",
        "7",
        "--backend",
        "opensearch",
        "--url",
        "https://os:9200",
        "--repository",
        "backups",
        "--prefix",
        "orders",
        "--bearer-token-file",
        "/t",
        "--yes",
        "--delete-existing",
    ])
    .unwrap();
    let Command::Restore(args) = cli.command else {
        panic!("not restore")
    };
    assert_eq!(args.id, BackupRef::Id(BackupId::new(7).unwrap()));
    assert!(args.yes && args.delete_existing);
    assert_eq!(args.cluster.backend, Backend::Opensearch);
    assert_eq!(args.cluster.url.as_deref(), Some("https://os:9200"));
    assert_eq!(args.cluster.repository.as_deref(), Some("backups"));
    assert_eq!(args.cluster.prefix, "orders");
    assert!(args.cluster.bearer_token_file.is_some());
    // Checked like serve's: a repository name with a wildcard is refused.
    assert!(
        Cli::try_parse_from(["backup-actuator", "restore", "7", "--repository", "b*"]).is_err()
    );
}

#[test]
fn restore_and_verify_take_latest_or_an_id_and_nothing_else() {
    for command in ["restore", "verify"] {
        let parse = |id: &str| Cli::try_parse_from(["backup-actuator", command, id]);
        let backup = |cli: Cli| match cli.command {
            Command::Restore(args) => args.id,
            Command::Verify(args) => args.backup,
            _ => panic!("not {command}"),
        };
        assert_eq!(backup(parse("latest").unwrap()), BackupRef::Latest);
        assert_eq!(
            backup(parse("007").unwrap()),
            BackupRef::Id(BackupId::new(7).unwrap())
        );
        // clap takes `-1` for an option; a usage error all the same.
        assert_eq!(parse("-1").unwrap_err().exit_code(), 2);
        for bad in ["Latest", "newest", "1,2", "*", "1.5"] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{command} {bad}");
            assert!(
                err.to_string()
                    .contains(&format!("invalid backup ID [{bad}]")),
                "{err}"
            );
        }
    }
}

#[test]
fn restore_takes_indices_and_a_rename_given_together() {
    let cli = Cli::try_parse_from([
        "backup-actuator",
        "restore",
        "latest",
        "--indices",
        "optimize-a,optimize-b",
        "--rename-pattern",
        "(.+)",
        "--rename-replacement",
        "restored-$1",
    ])
    .unwrap();
    let Command::Restore(args) = cli.command else {
        panic!("not restore")
    };
    assert_eq!(
        args.indices.as_deref(),
        Some(&["optimize-a".to_owned(), "optimize-b".to_owned()][..])
    );
    assert_eq!(args.rename_pattern.as_deref(), Some("(.+)"));
    assert_eq!(args.rename_replacement.as_deref(), Some("restored-$1"));
    for half in [
        ["--rename-pattern", "(.+)"],
        ["--rename-replacement", "restored-$1"],
    ] {
        let err =
            Cli::try_parse_from(["backup-actuator", "restore", "7", half[0], half[1]]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
    }
}

#[test]
fn verify_runs_into_another_cluster_and_names_its_repository_only_with_into() {
    let cli = Cli::try_parse_from([
        "backup-actuator",
        "verify",
        "latest",
        "--backend",
        "opensearch",
        "--url",
        "https://prod:9200",
        "--repository",
        "backups",
        "--into",
        "https://drill:9200",
        "--into-repository",
        "backups-ro",
        "--output",
        "json",
    ])
    .unwrap();
    let Command::Verify(args) = cli.command else {
        panic!("not verify")
    };
    assert_eq!(args.into.as_deref(), Some("https://drill:9200"));
    assert_eq!(args.into_repository.as_deref(), Some("backups-ro"));
    assert_eq!(args.output, Output::Json);
    assert!(!args.skip_room_check);
    let err = Cli::try_parse_from([
        "backup-actuator",
        "verify",
        "1",
        "--into-repository",
        "backups-ro",
    ])
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    // The repository name rule applies there too.
    assert!(Cli::try_parse_from([
        "backup-actuator",
        "verify",
        "1",
        "--into",
        "http://x:9200",
        "--into-repository",
        "a,b",
    ])
    .is_err());
}

#[test]
fn zero_timeouts_are_refused_saying_why() {
    for flag in [
        "--request-timeout",
        "--header-read-timeout",
        "--body-read-timeout",
        "--health-timeout",
    ] {
        let err = Cli::try_parse_from(["backup-actuator", "serve", flag, "0s"]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(flag)
                && message.contains("a timeout of zero would fail every request"),
            "{message}"
        );
    }
    let err = Cli::try_parse_from([
        "backup-actuator",
        "restore",
        "1",
        "--request-timeout",
        "0ms",
    ])
    .unwrap_err();
    assert!(err.to_string().contains("a timeout of zero"), "{err}");
}

#[test]
fn negative_retention_values_get_a_clear_message() {
    let err = Cli::try_parse_from(["backup-actuator", "serve", "--keep-last", "-1"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("a number of backups cannot be negative"),
        "{err}"
    );
    let err =
        Cli::try_parse_from(["backup-actuator", "serve", "--keep-within", "-1d"]).unwrap_err();
    assert!(
        err.to_string().contains("an age cannot be negative"),
        "{err}"
    );
    let err = Cli::try_parse_from(["backup-actuator", "serve", "--keep-last", "x"]).unwrap_err();
    assert!(
        err.to_string().contains("not a whole number of backups"),
        "{err}"
    );
}
