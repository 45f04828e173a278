//! `docs/configuration.md` cannot drift from the program: every `--flag`
//! and every `BACKUP_ACTUATOR_*` variable that `backup-actuator --help`
//! and each subcommand's `--help` print must appear on the page, and every
//! one the page names must exist in some `--help`.

use std::collections::BTreeSet;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_backup-actuator");

fn help(path: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(path)
        .arg("--help")
        .env_remove("RUST_LOG")
        .output()
        .expect("run the binary");
    assert!(output.status.success(), "{path:?} --help failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The subcommands a help text lists under `Commands:` (less `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// `--flags` and `BACKUP_ACTUATOR_*` names in a text.
fn names(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let start_of_word = i == 0 || !word(bytes[i - 1]);
        if start_of_word
            && bytes[i..].starts_with(b"--")
            && bytes.get(i + 2).is_some_and(u8::is_ascii_lowercase)
        {
            let end = (i + 2..bytes.len())
                .find(|&j| {
                    !(bytes[j].is_ascii_lowercase()
                        || bytes[j].is_ascii_digit()
                        || bytes[j] == b'-')
                })
                .unwrap_or(bytes.len());
            found.insert(text[i..end].trim_end_matches('-').to_owned());
            i = end;
        } else if start_of_word && bytes[i..].starts_with(b"BACKUP_ACTUATOR_") {
            let end = (i..bytes.len())
                .find(|&j| {
                    !(bytes[j].is_ascii_uppercase()
                        || bytes[j].is_ascii_digit()
                        || bytes[j] == b'_')
                })
                .unwrap_or(bytes.len());
            let name = text[i..end].trim_end_matches('_');
            // `BACKUP_ACTUATOR_*` in prose names no variable.
            if name.len() > "BACKUP_ACTUATOR".len() {
                found.insert(name.to_owned());
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn configuration_md_names_every_flag_and_variable_of_every_help() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let documented = names(&page);

    // Walk the command tree: the top level, each subcommand, theirs.
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut in_help: BTreeSet<String> = BTreeSet::new();
    let mut missing: Vec<String> = Vec::new();
    while let Some(path) = queue.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        for sub in subcommands(&text) {
            let mut deeper = path.clone();
            deeper.push(sub);
            queue.push(deeper);
        }
        let command = format!("backup-actuator {}", path.join(" "));
        for name in names(&text) {
            if !documented.contains(&name) {
                missing.push(format!("{name} (from `{} --help`)", command.trim_end()));
            }
            in_help.insert(name);
        }
    }
    let stale: Vec<&String> = documented.difference(&in_help).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/configuration.md is out of date.\n\
         Not on the page (add a row for each):\n  {}\n\
         On the page but in no --help (remove or fix):\n  {}",
        if missing.is_empty() {
            "(none)".to_owned()
        } else {
            missing.join("\n  ")
        },
        if stale.is_empty() {
            "(none)".to_owned()
        } else {
            stale
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        },
    );
}

#[test]
fn names_are_read_as_whole_words() {
    let found = names(
        "--listen <LISTEN> [env: BACKUP_ACTUATOR_LISTEN=] a--b `--memory-outcome` --help\n--",
    );
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(
        found,
        [
            "--help",
            "--listen",
            "--memory-outcome",
            "BACKUP_ACTUATOR_LISTEN"
        ]
    );
}
