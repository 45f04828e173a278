//! The command line: `backup-actuator serve …`, every flag also an
//! environment variable `BACKUP_ACTUATOR_<FLAG>`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use backup_actuator_core::{
    BackupId, BackupPlan, Compatibility, IdPattern, OutputZone, PlanError, RepositoryName,
    ShardFailure, DEFAULT_PREFIX,
};
use backup_actuator_store::PartOutcome;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Camunda-Optimize-style backup API for Elasticsearch and OpenSearch.
#[derive(Debug, Parser)]
#[command(name = "backup-actuator", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once at start-up and moved into its command: the size difference
// between `serve`'s many flags and the client's few costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the backup API on a management listener.
    ///
    /// The README tour runs `backup-actuator serve --repository backups`.
    /// Without a repository the server starts, but every backup route
    /// answers 400. Existing clients that poll for `COMPLETED` need
    /// `--compat optimize-server`.
    Serve(ServeArgs),
    /// Create, watch, list and delete backups through a running backup API
    /// (this server's or Camunda Optimize's).
    #[command(after_help = EXIT_CODES)]
    Backup(BackupArgs),
    /// Restore a COMPLETE backup into the cluster it is stored in.
    ///
    /// Without --yes, prints the plan (each part, its indices, which of them
    /// exist now) and changes nothing.
    #[command(after_help = RESTORE_EXIT_CODES)]
    Restore(RestoreArgs),
    /// Prove that a backup restores: a restore drill under scratch names
    /// that never touches the live indices.
    ///
    /// Restores every part under `verify-<id>-<index>` (no aliases, no
    /// global state, no replicas), waits until every shard has recovered,
    /// reads each index back (`_count` and a search), reports each index and
    /// deletes the scratch indices, on success, failure and Ctrl-C alike.
    /// With --into, the drill runs on another cluster that has the
    /// repository registered.
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Print a shell completion script to stdout.
    ///
    /// bash: `backup-actuator completions bash > ~/.local/share/bash-completion/completions/backup-actuator`;
    /// zsh: `backup-actuator completions zsh > "${fpath[1]}/_backup-actuator"`;
    /// fish: `backup-actuator completions fish > ~/.config/fish/completions/backup-actuator.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout:
    /// `backup-actuator man > ~/.local/share/man/man1/backup-actuator.1`.
    Man,
}

/// The exit codes of `backup …` (SPEC §9), shown by `backup --help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0   done: the backup is COMPLETE, or the command succeeded
  1   the server or the network failed (the message names the status and detailedMessage)
  2   usage: a bad option or backup ID, or a --url that is not http:// or https://
  10  the backup is FAILED
  11  the backup is INCOMPLETE (no part running, a part missing)
  12  the backup is INCOMPATIBLE
  13  --timeout reached while the backup is still IN_PROGRESS
  14  no such backup: the server has nothing stored under that ID

`status` exits 0 for COMPLETE and IN_PROGRESS and 10, 11, 12 like `wait`;
`create --wait` and `wait` exit by the state the backup ends in; `status`
and `wait` of an ID the server does not know exit 14. `delete` exits 0
whether or not anything was stored (it says which).";

/// The exit codes of `restore` (SPEC §12).
pub(crate) const RESTORE_EXIT_CODES: &str = "\
Exit codes:
  0   restored and checked (or, without --yes, the plan was printed)
  1   refused (the backup is not COMPLETE, indices exist), or the cluster failed
  2   usage: a bad option or backup ID
  14  no such backup: nothing is stored under that ID (or, for `latest`,
      no backup is COMPLETE)";

/// The exit codes of `verify` (SPEC §13).
pub(crate) const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0   the backup restores: every shard recovered, every index answered
  1   the drill could not run or finish (no room, scratch names taken, the
      cluster failed, timeout, interrupted)
  2   usage: a bad option or backup ID
  14  no such backup: nothing is stored under that ID (or, for `latest`,
      no backup is COMPLETE)
  20  the backup is not restorable: not COMPLETE, or a shard did not recover
      or an index did not answer (the message names index, shard and the
      engine's reason)";

/// `backup-actuator backup …`: the client of the backup API.
#[derive(Clone, Debug, Args)]
pub(crate) struct BackupArgs {
    /// Where the API is and how to talk to it.
    #[command(flatten)]
    pub client: ClientArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: BackupCommand,
}

/// How the client reaches the backup API.
#[derive(Clone, Debug, Args)]
pub(crate) struct ClientArgs {
    /// The server's management URL (the backup-actuator or Optimize
    /// listener). Its own variable: `BACKUP_ACTUATOR_URL` is the cluster
    /// URL of `serve`, `restore` and `verify` (SPEC §9).
    #[arg(
        long,
        global = true,
        env = "BACKUP_ACTUATOR_SERVER_URL",
        default_value = "http://127.0.0.1:8092"
    )]
    pub url: String,

    /// The path the backup routes sit under.
    #[arg(long, global = true, env = "BACKUP_ACTUATOR_BASE_PATH", default_value = "/actuator", value_parser = parse_base_path)]
    pub base_path: String,

    /// A file holding the token sent as `Authorization: Bearer <token>` (the
    /// server's --auth-token-file). It is never printed.
    #[arg(long, global = true, env = "BACKUP_ACTUATOR_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,

    /// `table` for people, `json` for scripts (prints only the result).
    #[arg(long, global = true, env = "BACKUP_ACTUATOR_OUTPUT", value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// Colour the states on a terminal (`auto`: when the output is a
    /// terminal and NO_COLOR is not set).
    #[arg(long, global = true, env = "BACKUP_ACTUATOR_COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Tables as wide as their content, even wider than the terminal
    /// (otherwise long snapshot names are cut with … and failures wrap).
    #[arg(long, global = true)]
    pub wide: bool,

    /// The first interval between polls while waiting; it doubles up to 10 s.
    #[arg(long, global = true, hide = true, env = "BACKUP_ACTUATOR_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
}

/// The output format of the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Tables and progress for people.
    Table,
    /// Only the result, as JSON (BackupInfo, a list of them, or the answer).
    Json,
}

/// When the client colours its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

/// The client commands.
#[derive(Clone, Debug, Subcommand)]
pub(crate) enum BackupCommand {
    /// Trigger a backup (POST {base}/backups).
    Create {
        /// The backup ID: an integer 0..=9223372036854775807.
        #[arg(value_parser = parse_backup_id)]
        id: BackupId,
        /// Wait until the backup has finished, with progress, and exit by its state.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this long (`30m`, `2h`), exit 13.
        #[arg(long, requires = "wait", value_parser = humantime::parse_duration)]
        timeout: Option<Duration>,
    },
    /// Show one backup, part by part (GET {base}/backups/ID).
    Status {
        /// The backup ID.
        #[arg(value_parser = parse_backup_id)]
        id: BackupId,
    },
    /// List every backup (GET {base}/backups).
    List {
        /// Only backups whose ids match: digits and `*`, e.g. `20250401*`
        /// (sent as `?pattern=`, so the cluster filters).
        #[arg(long, value_parser = parse_id_pattern, value_name = "DIGITS*")]
        pattern: Option<IdPattern>,
        /// Names and states only (`?verbose=false`): no start times or
        /// failures, far less for the cluster to read in a large repository.
        #[arg(long)]
        brief: bool,
        /// Show only the N newest backups (0: all). A table on a terminal
        /// shows a screenful by default; otherwise all. The summary line
        /// still counts every backup.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Delete a backup's snapshots (DELETE {base}/backups/ID).
    Delete {
        /// The backup ID.
        #[arg(value_parser = parse_backup_id)]
        id: BackupId,
    },
    /// Wait until a backup has finished, with progress, and exit by its state.
    Wait {
        /// The backup ID.
        #[arg(value_parser = parse_backup_id)]
        id: BackupId,
        /// Give up after this long (`30m`, `2h`), exit 13.
        #[arg(long, value_parser = humantime::parse_duration)]
        timeout: Option<Duration>,
    },
}

/// `backup-actuator restore ID`.
#[derive(Clone, Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup ID to restore, or `latest` for the newest COMPLETE backup.
    #[arg(value_parser = parse_backup_ref, value_name = "ID|latest")]
    pub id: BackupRef,

    /// Restore only these indices of the backup's parts (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "INDEX,…")]
    pub indices: Option<Vec<String>>,

    /// Restore under new names, next to the live indices: every match of
    /// this regular expression in an index name is replaced by
    /// --rename-replacement (the engine's `rename_pattern`).
    #[arg(long, value_name = "REGEX", requires = "rename_replacement")]
    pub rename_pattern: Option<String>,

    /// The replacement for --rename-pattern; `$1` is its first group
    /// (`restored-$1`).
    #[arg(long, value_name = "TEXT", requires = "rename_pattern")]
    pub rename_replacement: Option<String>,

    /// Restore; without it the plan is printed and nothing changes.
    #[arg(long)]
    pub yes: bool,

    /// Delete the indices to be restored that exist now (exactly those)
    /// instead of refusing.
    #[arg(long, requires = "yes")]
    pub delete_existing: bool,

    /// The cluster, as for `serve`.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// `table` for people, `json` for scripts (the plan, or the restored indices).
    #[arg(long, env = "BACKUP_ACTUATOR_OUTPUT", value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// How long one part may take to restore (`1h`, `30m`).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub part_timeout: Duration,

    /// How often the restored indices' health is read.
    #[arg(long, hide = true, env = "BACKUP_ACTUATOR_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
}

/// `verify ID|latest`, `restore ID|latest`: which backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackupRef {
    /// This backup.
    Id(BackupId),
    /// The newest COMPLETE backup.
    Latest,
}

fn parse_backup_ref(text: &str) -> Result<BackupRef, String> {
    if text == "latest" {
        return Ok(BackupRef::Latest);
    }
    BackupId::from_path_segment(text)
        .map(BackupRef::Id)
        .map_err(|_| {
            format!(
                "invalid backup ID [{text}]: must be `latest` or an integer between 0 and 9223372036854775807"
            )
        })
}

/// `backup-actuator verify ID|latest`.
#[derive(Clone, Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The backup ID to verify, or `latest` for the newest COMPLETE backup.
    #[arg(value_parser = parse_backup_ref, value_name = "ID|latest")]
    pub backup: BackupRef,

    /// The cluster the backup is read from, as for `serve`.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Run the drill on this cluster instead (same product and credentials
    /// as --url), which has the repository registered, typically read-only:
    /// production disk is never used. The backup is still read from --url.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_VERIFY_INTO",
        value_name = "URL",
        hide_env_values = true
    )]
    pub into: Option<String>,

    /// The repository's name on the --into cluster, if not the same as
    /// --repository.
    #[arg(long, value_name = "NAME", requires = "into", value_parser = parse_repository)]
    pub into_repository: Option<String>,

    /// `table` for people, `json` for scripts (the report, or why the
    /// backup is not restorable).
    #[arg(long, env = "BACKUP_ACTUATOR_OUTPUT", value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// How long one part may take to restore (`1h`, `30m`).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub part_timeout: Duration,

    /// Skip the comparison of the backup's size with the free disk (for
    /// clusters that do not report disk space).
    #[arg(long)]
    pub skip_room_check: bool,

    /// How often the restored shards are read.
    #[arg(long, hide = true, env = "BACKUP_ACTUATOR_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
}

fn parse_backup_id(id: &str) -> Result<BackupId, String> {
    BackupId::from_path_segment(id).map_err(|_| {
        format!("invalid backup ID [{id}]: must be an integer between 0 and 9223372036854775807")
    })
}

/// A timeout: a duration above zero. A zero timeout would fail every
/// request (a cluster call, a request head, a body, a health check) at once.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if duration.is_zero() {
        return Err("a timeout of zero would fail every request at once; give a duration above zero (`500ms`, `30s`)".to_owned());
    }
    Ok(duration)
}

/// A number of backups to keep; a negative one says so (clap would take
/// `-1` for an option).
fn parse_backup_count(text: &str) -> Result<usize, String> {
    if text.trim_start().starts_with('-') {
        return Err(
            "a number of backups cannot be negative; give a whole number, at least 1".to_owned(),
        );
    }
    text.parse()
        .map_err(|_| "not a whole number of backups; give one, at least 1".to_owned())
}

/// An age (`7d`, `36h`); a negative one says so.
fn parse_age(text: &str) -> Result<Duration, String> {
    if text.trim_start().starts_with('-') {
        return Err("an age cannot be negative; give a duration like `7d` or `36h`".to_owned());
    }
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

/// A list `--pattern`: digits and `*`, 1 to 64 characters (SPEC §1).
fn parse_id_pattern(pattern: &str) -> Result<IdPattern, String> {
    IdPattern::parse(pattern).map_err(|err| err.to_string())
}

/// The database behind the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// Snapshots kept in process; they complete after
    /// `--memory-complete-after`. For demos and tests.
    Memory,
    /// An Elasticsearch cluster at `--url`.
    Elasticsearch,
    /// An OpenSearch cluster at `--url`.
    Opensearch,
}

/// The API dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// The documented API: `COMPLETE`, a missing repository is 400.
    Documented,
    /// What the shipped Optimize server writes: `COMPLETED`, a missing
    /// repository is 500, error bodies carry `"reportDefinition": null`.
    OptimizeServer,
}

impl From<Compat> for Compatibility {
    fn from(compat: Compat) -> Compatibility {
        match compat {
            Compat::Documented => Compatibility::Documented,
            Compat::OptimizeServer => Compatibility::OptimizeServer,
        }
    }
}

/// A credential given on the command line or in the environment. `Debug`
/// shows `[redacted]`, so printing the arguments never prints it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The value, for the one place that has to send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The environment variable the cluster password is read from. There is
/// deliberately no `--password VALUE`: a value on the command line is
/// visible to every user of the machine in the process list.
pub(crate) const PASSWORD_ENV: &str = "BACKUP_ACTUATOR_PASSWORD";

/// `backup-actuator serve`.
#[derive(Clone, Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (port 0 picks a free port; the startup log
    /// line says which).
    #[arg(long, env = "BACKUP_ACTUATOR_LISTEN", default_value = "127.0.0.1:8092")]
    pub listen: SocketAddr,

    /// The cluster: backend, URL, credentials, repository, prefix.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// A file holding the token every request to this server must carry
    /// as `Authorization: Bearer <token>`. Without it the API is open to
    /// whoever can reach `--listen`.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_AUTH_TOKEN_FILE",
        help_heading = "Server security"
    )]
    pub auth_token_file: Option<PathBuf>,

    /// How long a client may take to send its request headers before the
    /// connection is closed (`30s`, `500ms`).
    #[arg(long, env = "BACKUP_ACTUATOR_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_timeout, help_heading = "Server security")]
    pub header_read_timeout: Duration,

    /// How long a client may take to send a POST body, in full, before it
    /// gets 408 and the connection is closed.
    #[arg(long, env = "BACKUP_ACTUATOR_BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_timeout, help_heading = "Server security")]
    pub body_read_timeout: Duration,

    /// The most connections served at once; further clients wait in the
    /// listen queue until one closes.
    #[arg(long, env = "BACKUP_ACTUATOR_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Server security")]
    pub max_connections: u32,

    /// The most connections one client address holds at once; a further
    /// connection from it is closed when accepted, so that idle sockets
    /// from one address cannot keep other clients waiting.
    #[arg(long, env = "BACKUP_ACTUATOR_MAX_CONNECTIONS_PER_CLIENT", default_value_t = crate::per_client::DEFAULT_PER_CLIENT, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Server security")]
    pub max_connections_per_client: u32,

    /// The application version written into snapshot names, cut to X.Y.Z
    /// (`8.6.0-SNAPSHOT` is `8.6.0`). Defaults to this program's version.
    #[arg(long, env = "BACKUP_ACTUATOR_APP_VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    pub app_version: String,

    /// The API dialect; `optimize-server` writes `COMPLETED` for existing clients.
    #[arg(long, env = "BACKUP_ACTUATOR_COMPAT", value_enum, default_value_t = Compat::Documented)]
    pub compat: Compat,

    /// How long a snapshot of the memory backend stays IN_PROGRESS.
    #[arg(long, env = "BACKUP_ACTUATOR_MEMORY_COMPLETE_AFTER", default_value = "2s", value_parser = humantime::parse_duration)]
    pub memory_complete_after: Duration,

    /// The path the backup routes sit under (`""` or `/` for the root).
    #[arg(long, env = "BACKUP_ACTUATOR_BASE_PATH", default_value = "/actuator", value_parser = parse_base_path)]
    pub base_path: String,

    /// Makes memory snapshots whose names match GLOB (`*` wildcards) end
    /// as OUTCOME: `failed`, `partial`, `incompatible` or `hang` (never
    /// ends), so every backup state can be shown without a cluster.
    /// Repeatable; the last matching rule wins.
    #[arg(long = "memory-outcome", value_name = "GLOB=OUTCOME", env = "BACKUP_ACTUATOR_MEMORY_OUTCOME", value_delimiter = ';', value_parser = parse_memory_outcome)]
    pub memory_outcomes: Vec<MemoryOutcome>,

    /// The zone `startTime` is written in and `--schedule` is evaluated
    /// in: an IANA name or an offset such as `+01:00`.
    #[arg(long, env = "BACKUP_ACTUATOR_TIME_ZONE", default_value = "UTC", value_parser = parse_zone)]
    pub time_zone: OutputZone,

    /// Trigger a backup at every slot of this 5-field cron expression
    /// (`0 2 * * *`, `@daily`), evaluated in `--time-zone`. The backup id is
    /// the slot's start in UTC as YYYYMMDDHHMMSS, the same in every replica,
    /// so replicas with the same schedule make one backup per slot. Needs
    /// `--repository`.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_SCHEDULE",
        value_name = "CRON",
        help_heading = "Scheduled backups"
    )]
    pub schedule: Option<String>,

    /// Keep the N newest COMPLETE scheduled backups; delete older ones.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_KEEP_LAST",
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = parse_backup_count,
        help_heading = "Scheduled backups"
    )]
    pub keep_last: Option<usize>,

    /// Keep every COMPLETE scheduled backup younger than this (`7d`,
    /// `36h`); with `--keep-last`, a backup is kept if either keeps it.
    #[arg(long, env = "BACKUP_ACTUATOR_KEEP_WITHIN", value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_age, help_heading = "Scheduled backups")]
    pub keep_within: Option<Duration>,

    /// Log what retention would delete, and delete nothing.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_RETENTION_DRY_RUN",
        help_heading = "Scheduled backups"
    )]
    pub retention_dry_run: bool,

    /// Run a restore drill (as `verify latest`) of the newest COMPLETE
    /// backup at every slot of this 5-field cron expression, evaluated in
    /// `--time-zone`. Replicas with the same schedule run one drill per
    /// slot. Needs a cluster backend and `--repository`.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_VERIFY_SCHEDULE",
        value_name = "CRON",
        help_heading = "Restore drills"
    )]
    pub verify_schedule: Option<String>,

    /// For tests only: let `--schedule` and `--verify-schedule` take a
    /// leading seconds field (`*/2 * * * * *`), so an end-to-end test need not wait a minute per
    /// slot. Hidden: a backup every few seconds is no way to treat a cluster.
    #[arg(long, env = "BACKUP_ACTUATOR_SCHEDULE_SECONDS", hide = true)]
    pub schedule_seconds: bool,

    /// Serve Prometheus metrics at `{base-path}/prometheus` (OpenMetrics
    /// text to scrapers that ask for it, else the classic Prometheus text
    /// format; behind the token gate like every route).
    #[arg(long, env = "BACKUP_ACTUATOR_METRICS", help_heading = "Observability")]
    pub metrics: bool,

    /// How long the cluster has to answer the health check at
    /// `{base-path}/health` before it reads DOWN.
    #[arg(long, env = "BACKUP_ACTUATOR_HEALTH_TIMEOUT", default_value = "2s", value_parser = parse_timeout, help_heading = "Observability")]
    pub health_timeout: Duration,
}

/// The cluster options `serve` and `restore` share: which backend, where,
/// how to authenticate, and where the backups live.
#[derive(Clone, Debug, Args)]
pub(crate) struct ClusterArgs {
    /// Where snapshots live.
    #[arg(long, env = "BACKUP_ACTUATOR_BACKEND", value_enum, default_value_t = Backend::Memory)]
    pub backend: Backend,

    /// The cluster URL (elasticsearch and opensearch backends).
    /// Its value is never echoed by `--help`, as it may carry credentials.
    #[arg(long, env = "BACKUP_ACTUATOR_URL", hide_env_values = true)]
    pub url: Option<String>,

    /// The cluster user for basic authentication. The password comes from
    /// the environment variable BACKUP_ACTUATOR_PASSWORD or from
    /// `--password-file`, never from the command line.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_USERNAME",
        help_heading = "Cluster authentication"
    )]
    pub username: Option<String>,

    /// A file holding the cluster password (a trailing newline is dropped).
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_PASSWORD_FILE",
        help_heading = "Cluster authentication"
    )]
    pub password_file: Option<PathBuf>,

    /// An Elasticsearch API key (the `encoded` value of the create-API-key
    /// answer). Prefer the environment variable or `--api-key-file`: a value
    /// on the command line shows in the process list.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_API_KEY",
        hide_env_values = true,
        help_heading = "Cluster authentication"
    )]
    pub api_key: Option<Secret>,

    /// A file holding the Elasticsearch API key.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_API_KEY_FILE",
        help_heading = "Cluster authentication"
    )]
    pub api_key_file: Option<PathBuf>,

    /// A bearer token for the cluster (OAuth2, service account, JWT).
    /// Prefer the environment variable or `--bearer-token-file`.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_BEARER_TOKEN",
        hide_env_values = true,
        help_heading = "Cluster authentication"
    )]
    pub bearer_token: Option<Secret>,

    /// A file holding the cluster bearer token.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_BEARER_TOKEN_FILE",
        help_heading = "Cluster authentication"
    )]
    pub bearer_token_file: Option<PathBuf>,

    /// A PEM file of CA certificates to trust for the cluster's TLS, in
    /// addition to the system roots.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_CA_CERT",
        help_heading = "Cluster authentication"
    )]
    pub ca_cert: Option<PathBuf>,

    /// A PEM file with the client certificate chain and its private key,
    /// for clusters that authenticate clients by certificate.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_CLIENT_CERT",
        help_heading = "Cluster authentication"
    )]
    pub client_cert: Option<PathBuf>,

    /// Sign cluster requests with AWS SigV4 for this region (Amazon
    /// OpenSearch Service); credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. Needs a build with the
    /// `aws-auth` feature.
    #[arg(
        long,
        env = "BACKUP_ACTUATOR_AWS_REGION",
        help_heading = "Cluster authentication"
    )]
    pub aws_region: Option<String>,

    /// The snapshot repository. Without one every backup route answers 400.
    /// Checked at start: a name with wildcards or commas would widen every
    /// cluster request.
    #[arg(long, env = "BACKUP_ACTUATOR_REPOSITORY", value_parser = parse_repository)]
    pub repository: Option<String>,

    /// The snapshot name prefix: lowercase, no `\ / * ? " < > | , #` or
    /// whitespace, no leading `_`.
    #[arg(long, env = "BACKUP_ACTUATOR_PREFIX", default_value = DEFAULT_PREFIX)]
    pub prefix: String,

    /// The timeout of each request to the cluster (`30s`, `500ms`, `2m`).
    #[arg(long, env = "BACKUP_ACTUATOR_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub request_timeout: Duration,
}

/// A `--memory-outcome` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemoryOutcome {
    /// The snapshot names it applies to.
    pub glob: String,
    /// How they end.
    pub outcome: PartOutcome,
}

fn parse_memory_outcome(rule: &str) -> Result<MemoryOutcome, String> {
    let (glob, outcome) = rule.rsplit_once('=').ok_or_else(|| {
        format!("expected GLOB=OUTCOME, e.g. '*_part_2_of_2=failed', got [{rule}]")
    })?;
    if glob.is_empty() {
        return Err("the GLOB of GLOB=OUTCOME is empty; use * for every snapshot".to_owned());
    }
    let outcome = match outcome.to_ascii_lowercase().as_str() {
        "failed" => PartOutcome::Failed,
        "partial" => PartOutcome::Partial(vec![ShardFailure {
            index: Some("optimize-simulated".to_owned()),
            shard_id: Some(0),
            reason: Some("simulated by --memory-outcome".to_owned()),
            node_id: None,
            status: Some("INTERNAL_SERVER_ERROR".to_owned()),
        }]),
        "incompatible" => PartOutcome::Incompatible,
        "hang" => PartOutcome::Hang,
        other => {
            return Err(format!(
                "unknown outcome [{other}]: use failed, partial, incompatible or hang"
            ))
        }
    };
    Ok(MemoryOutcome {
        glob: glob.to_owned(),
        outcome,
    })
}

/// A repository name the cluster would take literally: core's
/// [`RepositoryName`] rule, which keeps wildcards and lists out of every
/// request. An empty name is an option better left out.
fn parse_repository(name: &str) -> Result<String, String> {
    match RepositoryName::new(name) {
        Ok(name) => Ok(name.into()),
        Err(err) if name.is_empty() => Err(format!("{err} (leave the option out instead)")),
        Err(err) => Err(err.to_string()),
    }
}

/// A base path made only of characters a request path carries as they
/// are, so that the routes can match at all.
fn parse_base_path(path: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()+,;=:@".contains(c);
    match path.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!(
            "invalid base path [{path}]: [{c}] cannot appear in a request path as is"
        )),
        None => Ok(path.to_owned()),
    }
}

fn parse_zone(name: &str) -> Result<OutputZone, String> {
    OutputZone::parse(name).map_err(|err| err.to_string())
}

impl ServeArgs {
    /// Optimize's plan (import indices, then every other `optimize-*`
    /// index) under the configured prefix and version.
    pub(crate) fn plan(&self) -> Result<BackupPlan, PlanError> {
        BackupPlan::builder()
            .prefix(&self.cluster.prefix)
            .version(&self.app_version)
            .optimize_parts()
            .build()
    }
}

/// `backup-actuator completions SHELL`: the script on stdout; the exit code.
pub(crate) fn print_completions(shell: clap_complete::Shell) -> u8 {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN_NAME, &mut script);
    if shell == clap_complete::Shell::Bash {
        script = bash_hyphen_fix(&script).into_bytes();
    }
    write_stdout(&script)
}

const BIN_NAME: &str = "backup-actuator";

/// clap_complete's bash script names the state of `backup-actuator
/// backup` `backup__actuator__subcmd__backup` where it is set and
/// `backup__subcmd__actuator__subcmd__backup` where it is matched, so
/// nothing after a subcommand completes for a name with a hyphen
/// (clap-rs/clap#6421, fixed upstream by #6428, not yet released in
/// 4.6.12). The matching labels are spelled as they are set.
fn bash_hyphen_fix(script: &[u8]) -> String {
    String::from_utf8_lossy(script).replace(
        "backup__subcmd__actuator__subcmd__",
        "backup__actuator__subcmd__",
    )
}

/// `backup-actuator man`: the manual page (roff) on stdout; the exit code.
pub(crate) fn print_man_page() -> u8 {
    use clap::CommandFactory;
    let mut page = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut page) {
        Ok(()) => write_stdout(&page),
        Err(err) => {
            eprintln!("backup-actuator: cannot render the manual page: {err}");
            1
        }
    }
}

fn write_stdout(bytes: &[u8]) -> u8 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("backup-actuator: cannot write to stdout: {err}");
            1
        }
    }
}

#[cfg(test)]
mod tests;
