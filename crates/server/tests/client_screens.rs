//! The built binary as an operator meets it (issue 23): what `backup …`
//! says when the URL is wrong, what `--output json` prints, the exit
//! codes, the tables at a given width and in colour, the progress on a
//! terminal (a pseudo-terminal, read back as a screen), long lists, and
//! the completion scripts and manual page.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use backup_actuator_testkit::Flavor;
use common::{run_with_env, Cluster, Server, BIN};
use serde_json::Value;

/// `backup-actuator backup --url URL ARGS` with `env`; (exit code, stdout, stderr).
fn client_at(url: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut argv = vec!["backup", "--url", url, "--poll-interval", "50ms"];
    argv.extend_from_slice(args);
    let ((code, stderr), stdout) = run_with_env(&argv, env);
    (code, stdout, stderr)
}

fn client(server: &Server, args: &[&str]) -> (i32, String, String) {
    client_at(&format!("http://{}", server.addr), args, &[])
}

/// A memory server whose backups take `after` and end as `outcomes` say.
fn memory_server(after: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--repository", "backups", "--memory-complete-after", after];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A server that is not the backup API: every request line is answered
/// by the first rule whose prefix it starts with (status, content type,
/// body), else 404 with an HTML page.
fn stub_server(rules: &'static [(&'static str, u16, &'static str, &'static str)]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, ctype, body) = rules
                .iter()
                .find(|(prefix, ..)| line.starts_with(prefix))
                .map(|(_, s, c, b)| (*s, *c, *b))
                .unwrap_or((404, "text/html", WHITELABEL));
            let answer = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

const WHITELABEL: &str = "<html><body><h1>Whitelabel Error Page</h1><p>This application has no explicit mapping for /error, so you are seeing this as a fallback.</p><div id='created'>Sun Dec 06 10:00:00 UTC 2026</div><div>There was an unexpected error (type=Not Found, status=404).</div></body></html>";

// 1. The search engine behind a wrong URL.

#[test]
fn a_url_that_leads_to_elasticsearch_or_opensearch_is_named_as_such() {
    for (flavor, product) in [
        (
            Flavor::Elasticsearch7_10,
            "is an Elasticsearch node (version 7.10",
        ),
        (Flavor::OpenSearch2, "is an OpenSearch node (version 2."),
    ] {
        let cluster = Cluster::start(flavor);
        let url = cluster.url();
        for args in [
            &["list"][..],
            &["status", "7"],
            &["create", "7"],
            &["delete", "7"],
        ] {
            let (code, _, stderr) = client_at(&url, args, &[]);
            assert_eq!(code, 1, "{args:?}: {stderr}");
            assert!(stderr.contains(product), "{args:?}: {stderr}");
            assert!(stderr.contains("not the backup API"), "{stderr}");
        }
        // Elasticsearch 7 would index a POST to /actuator/backups as a
        // document: the client looked first and sent none, nor a DELETE.
        let changed = cluster
            .requests()
            .iter()
            .any(|r| r.method == http::Method::POST || r.method == http::Method::DELETE);
        assert!(!changed, "{flavor:?}");
    }
}

// 2. JSON as the server wrote it.

#[test]
fn json_output_is_the_servers_answer_as_written_in_both_dialects() {
    for (compat, written) in [("documented", "COMPLETE"), ("optimize-server", "COMPLETED")] {
        let server = memory_server("100ms", &["--compat", compat]);
        let (code, stdout, stderr) =
            client(&server, &["create", "7", "--wait", "--output", "json"]);
        // The exit code reads either spelling as COMPLETE.
        assert_eq!(code, 0, "{compat}: {stderr}");
        assert_eq!(
            serde_json::from_str::<Value>(&stdout).unwrap()["state"],
            written
        );
        let (code, stdout, _) = client(&server, &["status", "7", "--output", "json"]);
        assert_eq!(code, 0);
        let (_, served) = server.request("GET", "/actuator/backups/7", "");
        assert_eq!(stdout.trim_end(), served, "{compat}: byte for byte");
        let (code, stdout, _) = client(&server, &["list", "--output", "json"]);
        assert_eq!(code, 0);
        let (_, served) = server.request("GET", "/actuator/backups", "");
        assert_eq!(stdout.trim_end(), served, "{compat}: byte for byte");
        let (code, _, _) = client(&server, &["wait", "7"]);
        assert_eq!(code, 0, "{compat}: wait reads {written} as done");
        server.stop();
    }
}

// 3. Exit codes.

#[test]
fn a_url_without_a_scheme_is_a_usage_error_exit_2() {
    for url in ["localhost:8092", "127.0.0.1:8092", "backup-actuator.svc"] {
        let (code, _, stderr) = client_at(url, &["list"], &[]);
        assert_eq!(code, 2, "{url}: {stderr}");
        assert!(
            stderr.contains("no scheme: start it with http:// or https://"),
            "{stderr}"
        );
    }
}

#[test]
fn a_backup_that_does_not_exist_exits_14_for_status_and_wait() {
    let server = memory_server("0ms", &[]);
    for args in [
        &["status", "404"][..],
        &["wait", "404"],
        &["status", "404", "--output", "json"],
    ] {
        let (code, stdout, stderr) = client(&server, args);
        assert_eq!(code, 14, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("No backup with ID [404] could be found. (notFoundError)"),
            "{stderr}"
        );
    }
    server.stop();
    let ((code, _), help) = run_with_env(&["backup", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(help.contains("14  no such backup"), "{help}");
}

// 4. Wrong URLs and base paths.

#[test]
fn a_page_that_is_not_the_api_shows_status_content_type_and_a_hint_never_html() {
    static RULES: &[(&str, u16, &str, &str)] = &[
        ("POST /actuator/backups ", 501, "text/html", UNSUPPORTED),
        ("POST /other/backups ", 405, "text/html", NOT_ALLOWED),
    ];
    const UNSUPPORTED: &str = "<html><body>Unsupported method ('POST')</body></html>";
    const NOT_ALLOWED: &str = "<html><body>Method Not Allowed</body></html>";
    let url = stub_server(RULES);
    let (code, _, stderr) = client_at(&url, &["list"], &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("/actuator/backups answered HTTP 404: a text/html body of {} bytes (not this API's error body: is --url or --base-path wrong?)", WHITELABEL.len())),
        "{stderr}"
    );
    assert!(!stderr.contains('<'), "no HTML: {stderr}");
    let (_, _, stderr) = client_at(&url, &["create", "7"], &[]);
    assert!(stderr.contains(&format!("answered HTTP 501: a text/html body of {} bytes (not this API's error body: is --url or --base-path wrong?)", UNSUPPORTED.len())), "{stderr}");
    let (_, _, stderr) = client_at(&url, &["--base-path", "/other", "create", "7"], &[]);
    assert!(stderr.contains(&format!("answered HTTP 405: a text/html body of {} bytes (not this API's error body: is --url or --base-path wrong?)", NOT_ALLOWED.len())), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn a_url_that_already_ends_in_the_base_path_gets_a_hint() {
    let server = memory_server("0ms", &[]);
    let url = format!("http://{}/actuator", server.addr);
    let (code, _, stderr) = client_at(&url, &["list"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("No resource exists at this path. (notFoundError)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--url should not include the base path: --url ends in /actuator and --base-path adds /actuator again (use --url http://{})", server.addr)),
        "{stderr}"
    );
    server.stop();
}

#[test]
fn https_against_a_plain_http_port_says_the_server_does_not_speak_tls() {
    let server = memory_server("0ms", &[]);
    let (code, _, stderr) = client_at(&format!("https://{}", server.addr), &["list"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the server does not speak TLS on this port"),
        "{stderr}"
    );
    server.stop();
}

// 5. Deleting what is not there.

#[test]
fn delete_of_an_id_with_nothing_stored_says_so_and_exits_0() {
    let server = memory_server("0ms", &[]);
    let (code, stdout, _) = client(&server, &["delete", "7"]);
    assert_eq!(
        (code, stdout.as_str()),
        (
            0,
            "Nothing was stored for backup 7: there was nothing to delete.\n"
        )
    );
    let (code, stdout, _) = client(&server, &["delete", "7", "--output", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        serde_json::json!({"backupId": 7, "deleted": false})
    );
    let (code, _, _) = client(&server, &["create", "7"]);
    assert_eq!(code, 0);
    let (code, stdout, _) = client(&server, &["delete", "7"]);
    assert_eq!((code, stdout.as_str()), (0, "Backup 7 deleted.\n"));
    server.stop();
}

// 6 and 7. Width and colour.

/// A FAILED backup 7 whose second part has a shard failure.
fn failed_backup() -> Server {
    let server = memory_server("0ms", &["--memory-outcome", "*_part_2_of_2=partial"]);
    let (code, _, stderr) = client(&server, &["create", "7", "--wait"]);
    assert_eq!(code, 10, "{stderr}");
    server
}

#[test]
fn tables_fit_the_width_in_columns_and_wide_shows_them_whole() {
    let server = failed_backup();
    let url = format!("http://{}", server.addr);
    let (code, narrow, _) = client_at(&url, &["status", "7"], &[("COLUMNS", "80")]);
    assert_eq!(code, 10);
    for line in narrow.lines().skip(2) {
        assert!(line.chars().count() <= 80, "{line:?} in\n{narrow}");
    }
    assert!(narrow.contains('…'), "a long name is cut: {narrow}");
    assert!(
        narrow.contains("INTERNAL_SERVER_ERROR"),
        "words stay whole: {narrow}"
    );
    let (_, wide, _) = client_at(&url, &["status", "7", "--wide"], &[("COLUMNS", "80")]);
    assert!(!wide.contains('…'), "{wide}");
    assert!(wide.contains("camunda_optimize_7_"), "{wide}");
    assert!(wide.lines().any(|line| line.chars().count() > 80), "{wide}");
    server.stop();
}

#[test]
fn color_always_paints_states_and_never_or_no_color_leaves_them_plain() {
    let server = failed_backup();
    let (code, _, _) = client(&server, &["create", "8", "--wait"]);
    assert_eq!(code, 10);
    let url = format!("http://{}", server.addr);
    let red = "\u{1b}[31m";
    let green = "\u{1b}[32m";
    let (_, status, _) = client_at(&url, &["status", "7", "--color", "always"], &[]);
    assert!(status.contains(&format!("{red}FAILED")), "{status:?}");
    assert!(status.contains(&format!("{green}SUCCESS")), "{status:?}");
    assert!(status.contains(&format!("{red}PARTIAL")), "{status:?}");
    let (_, list, _) = client_at(&url, &["list", "--color", "always"], &[]);
    assert!(list.contains(&format!("{red}FAILED")), "{list:?}");
    // run_with_env sets NO_COLOR; auto and never print no escape.
    for args in [
        &["status", "7"][..],
        &["status", "7", "--color", "never"],
        &["list"],
    ] {
        let (_, text, _) = client_at(&url, args, &[]);
        assert!(!text.contains('\u{1b}'), "{args:?}: {text:?}");
    }
    server.stop();
}

// 9. Long lists.

#[test]
fn list_is_newest_first_with_limit_and_ends_with_a_summary_line() {
    let server = memory_server("0ms", &["--memory-outcome", "*_13_*_part_2_of_2=failed"]);
    for id in ["11", "12", "13", "21"] {
        let (code, _, stderr) = client(&server, &["create", id, "--wait"]);
        assert!(code == 0 || code == 10, "{stderr}");
        // Start times are read to the millisecond: keep them apart.
        thread::sleep(Duration::from_millis(20));
    }
    let (code, stdout, _) = client(&server, &["list"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .take(4)
        .collect();
    assert_eq!(ids, ["21", "13", "12", "11"], "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("4 backups: 3 COMPLETE, 1 FAILED; newest COMPLETE: 21, started "),
        "{last}"
    );
    assert!(last.ends_with(" ago"), "{last}");

    let (_, stdout, _) = client(&server, &["list", "--limit", "2"]);
    assert_eq!(
        stdout.lines().count(),
        4,
        "header, 2 rows, summary: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("2 of 4 backups shown (--limit 0 for all): 3 COMPLETE, 1 FAILED;"),
        "{stdout}"
    );

    let (_, stdout, _) = client(
        &server,
        &["list", "--pattern", "1*", "--brief", "--limit", "1"],
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[1].starts_with("13 "), "{stdout}");
    assert_eq!(
        lines.last().unwrap(),
        &"1 of 3 backups shown (--limit 0 for all): 2 COMPLETE, 1 FAILED; newest COMPLETE: 12 (--brief: no start times)"
    );

    let (_, stdout, _) = client(&server, &["list", "--limit", "2", "--output", "json"]);
    let ids: Vec<u64> = serde_json::from_str::<Vec<Value>>(&stdout)
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [21, 13]);
    server.stop();
}

// 10. Completions and the manual page.

#[test]
fn completions_for_bash_zsh_and_fish_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F _backup__actuator"),
        ("zsh", "#compdef backup-actuator"),
        ("fish", "complete -c backup-actuator"),
    ] {
        let ((code, stderr), script) = run_with_env(&["completions", shell], &[]);
        assert_eq!(code, 0, "{stderr}");
        assert!(script.contains(marker), "{shell}");
        for word in ["serve", "backup", "restore", "verify", "base-path", "limit"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let ((code, _), page) = run_with_env(&["man"], &[]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH backup-actuator 1"), "{page}");
    assert!(page.contains("completions"), "{page}");
}

// 7 and 8. Progress on a terminal, read back as the screen shows it.

/// Runs the binary on a pseudo-terminal of 30×120; (exit code, every
/// byte written, the screen at the end).
fn on_a_terminal(args: &[&str]) -> (u32, String, String) {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(BIN);
    command.args(args);
    command.env("NO_COLOR", "1");
    command.env_remove("COLUMNS");
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let bytes = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let status = child.wait().unwrap();
    drop(pty.master);
    let bytes = bytes.join().unwrap();
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(size(30), size(120), 0);
    parser.process(&bytes);
    (
        status.exit_code(),
        String::from_utf8_lossy(&bytes).into_owned(),
        parser.screen().contents(),
    )
}

#[test]
fn on_a_terminal_create_wait_shows_each_part_running_then_only_the_table() {
    let server = memory_server("2s", &[]);
    let url = format!("http://{}", server.addr);
    let (code, stream, screen) = on_a_terminal(&[
        "backup",
        "--url",
        &url,
        "--poll-interval",
        "200ms",
        "create",
        "7",
        "--wait",
    ]);
    assert_eq!(code, 0, "{screen}");
    // While it ran: a line per part, IN_PROGRESS, with the time it has run.
    assert!(stream.contains("part 1/2"), "{stream}");
    assert!(stream.contains("IN_PROGRESS"), "{stream}");
    assert!(stream.contains("1s"), "elapsed time: {stream}");
    // At the end: the message without the advice to poll, then the table,
    // and no progress line left above it.
    assert!(
        screen.starts_with(
            "Backup creation for ID 7 has been scheduled.\nBackup 7: COMPLETE (2/2 parts done)\n"
        ),
        "{screen}"
    );
    assert!(!screen.contains("Use the GET API"), "{screen}");
    assert!(!screen.contains("part 1/2"), "{screen}");
    server.stop();
}

#[test]
fn on_a_terminal_wait_on_a_finished_backup_prints_the_table_and_no_progress() {
    let server = memory_server("0ms", &["--memory-outcome", "*_part_2_of_2=failed"]);
    let (code, _, _) = client(&server, &["create", "7"]);
    assert_eq!(code, 0);
    let url = format!("http://{}", server.addr);
    let (code, stream, screen) = on_a_terminal(&["backup", "--url", &url, "wait", "7"]);
    assert_eq!(code, 10, "{screen}");
    assert!(
        screen.starts_with("Backup 7: FAILED (1/2 parts done)\n"),
        "{screen}"
    );
    assert!(!stream.contains("part 1/2"), "no progress drawn: {stream}");
    assert!(!stream.contains('⠋'), "{stream}");
    server.stop();
}

#[test]
fn on_a_terminal_list_shows_a_screenful_and_says_how_many_more() {
    let server = memory_server("0ms", &[]);
    for id in 1..=40 {
        let (code, _, _) = client(&server, &["create", &id.to_string()]);
        assert_eq!(code, 0);
    }
    let url = format!("http://{}", server.addr);
    let (code, _, screen) = on_a_terminal(&["backup", "--url", &url, "list"]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("27 of 40 backups shown (--limit 0 for all): 40 COMPLETE;"),
        "{screen}"
    );
    assert!(screen.starts_with("ID  STATE"), "{screen}");
    // JSON is for scripts: all of it, unless --limit says otherwise.
    let (code, stream, _) = on_a_terminal(&["backup", "--url", &url, "list", "--output", "json"]);
    assert_eq!(code, 0);
    let list: Vec<Value> = serde_json::from_str(stream.trim()).unwrap();
    assert_eq!(list.len(), 40);
    server.stop();
}

#[test]
fn restore_of_a_backup_that_does_not_exist_exits_14_like_the_client() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    cluster.add_repository("backups");
    let url = cluster.url();
    let restore = |backup: &str| {
        let args = ["restore", backup, "--backend", "opensearch", "--url", &url];
        run_with_env(&[&args[..], &["--repository", "backups"]].concat(), &[]).0
    };
    let (code, stderr) = restore("404");
    assert_eq!(code, 14, "{stderr}");
    assert!(
        stderr.contains("No backup with ID [404] could be found."),
        "{stderr}"
    );
    // `latest` with no COMPLETE backup is the same answer.
    let (code, stderr) = restore("latest");
    assert_eq!(code, 14, "{stderr}");
    assert!(
        stderr.contains("no COMPLETE backup in repository [backups]"),
        "{stderr}"
    );
    let ((code, _), help) = run_with_env(&["restore", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(help.contains("14  no such backup"), "{help}");
}

/// bash itself completes from the script: a subcommand, and an option of
/// a subcommand (which clap_complete's own script gets wrong for a name
/// with a hyphen, clap-rs/clap#6421).
#[test]
fn bash_completes_subcommands_and_their_options() {
    let complete = |words: &[&str]| {
        let cword = words.len() - 1;
        let script = format!(
            "source <({BIN} completions bash)\nCOMP_WORDS=({})\nCOMP_CWORD={cword}\n_backup__actuator backup-actuator '{}' '{}'\necho \"${{COMPREPLY[*]}}\"",
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words[cword],
            words[cword - 1],
        );
        let output = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &script])
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(complete(&["backup-actuator", "back"]), "backup");
    assert_eq!(complete(&["backup-actuator", "backup", "li"]), "list");
    assert_eq!(
        complete(&["backup-actuator", "backup", "list", "--li"]),
        "--limit"
    );
    assert_eq!(complete(&["backup-actuator", "backup", "--col"]), "--color");
}
