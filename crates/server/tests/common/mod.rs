//! Running the built `backup-actuator` binary and talking to it over raw
//! TCP, shared by the end-to-end suites.

#![allow(dead_code)] // Each suite uses its own part of the helpers.

pub(crate) mod live_engine;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use backup_actuator_testkit::{EmulatedCluster, Flavor};
use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_backup-actuator");

/// A running server; killed if a test fails before stopping it.
pub(crate) struct Server {
    pub child: Child,
    pub addr: String,
    /// Every stderr line after the startup line.
    pub log: mpsc::Receiver<String>,
    /// Every stderr line so far, the startup lines included.
    pub stderr: Arc<Mutex<Vec<String>>>,
    /// The thread that reads stderr; it ends when the process closes it.
    reader: Option<thread::JoinHandle<()>>,
}

/// One answer: status, the head as sent (status line and headers), body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The value of a header (case-insensitive name), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// Starts `backup-actuator serve --listen 127.0.0.1:0 ARGS` with `env`
    /// added to a copy of this process's environment less `RUST_LOG`.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_on("127.0.0.1:0", args, env)
    }

    /// Starts `backup-actuator serve --listen LISTEN ARGS` with `env` added.
    pub(crate) fn start_on(listen: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .args(["--listen", listen])
            .args(args)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        Server::spawn(command)
    }

    /// Starts `command` (a `serve` configured any way, for example by the
    /// environment alone) and waits for the line saying where it listens.
    pub(crate) fn spawn(mut command: Command) -> Server {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the binary");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let all = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&all);
        let reader = thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(line.clone());
                // The receiver may be gone; the copy in `keep` still counts.
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "the server logs where it listens within 20 s; stderr: {:?}",
                    all.lock().unwrap()
                )
            });
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Server {
            child,
            addr,
            log: rx,
            stderr: all,
            reader: Some(reader),
        }
    }

    /// One request on its own connection; (status, body).
    pub(crate) fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let answer = self.send(method, path, &[], body);
        (answer.status, answer.body)
    }

    /// One request with extra headers, on its own connection.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        let response = self.raw(request.as_bytes());
        parse_answer(&response)
    }

    /// Writes `request` on a new connection and reads until the server
    /// closes it. A write error is ignored (the server may answer and close
    /// before the whole request is sent); data read before a reset counts.
    pub(crate) fn raw(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(request);
        read_until_closed(&mut stream)
    }

    pub(crate) fn json(&self, path: &str) -> Value {
        let (status, body) = self.request("GET", path, "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Sends SIGTERM and waits for the exit code.
    pub(crate) fn terminate(self) -> i32 {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.terminate_wait()
    }

    /// Waits for the exit code after a signal was sent.
    pub(crate) fn terminate_wait(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("exited, not killed by a signal");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop after SIGTERM"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server and returns its whole stderr, every line of it:
    /// the reader thread is joined (it ends when the process closes
    /// stderr, that is, exits), and the log must end with a line the
    /// server writes only once shutdown is complete, so a negative check
    /// on the returned log ("no secret in it") is a check of all of it.
    pub(crate) fn stop(mut self) -> String {
        let stderr = Arc::clone(&self.stderr);
        let reader = self.reader.take().expect("stop is called once");
        assert_eq!(self.terminate(), 0);
        reader.join().expect("the stderr reader does not panic");
        let lines = stderr.lock().unwrap();
        let log = lines.join("\n");
        assert_shut_down(&lines, &log);
        log
    }

    pub(crate) fn logged(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self
            .log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if line.contains(needle) {
                return true;
            }
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line `serve` writes last, once shutdown is complete: the
/// connections drained (or given up on), the schedule stopped when there is
/// one, and the engine's background work ended or named.
const SHUTDOWN_LINES: [&str; 1] = ["backup-actuator stopped"];

/// Fails unless the last line of `lines` that is not TRACE or DEBUG is one
/// of [`SHUTDOWN_LINES`]: at those levels the runtime's teardown (a client
/// pool closing) may still write after the server's last word.
fn assert_shut_down(lines: &[String], log: &str) {
    let chatter = |line: &&String| {
        let level = line.split_whitespace().nth(1);
        matches!(level, Some("TRACE" | "DEBUG"))
    };
    let last = lines
        .iter()
        .rev()
        .find(|line| !chatter(line))
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        SHUTDOWN_LINES.iter().any(|line| last.contains(line)),
        "the log ends with the shutdown line, so it is complete; its last line above DEBUG is {last:?}:\n{log}"
    );
}

pub(crate) fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("no answer within the read timeout; got {response:?}")
            }
            // A reset after the answer: keep what arrived.
            Err(_) => break,
        }
    }
    response
}

pub(crate) fn parse_answer(response: &[u8]) -> Answer {
    let response = String::from_utf8_lossy(response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("a complete answer, got {response:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// Runs the binary to completion; (exit code, stderr).
pub(crate) fn run(args: &[&str]) -> (i32, String) {
    run_with_env(args, &[]).0
}

/// Runs the binary to completion with `env` added; ((exit code, stderr), stdout).
pub(crate) fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> ((i32, String), String) {
    let mut command = Command::new(BIN);
    command.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// An emulated cluster in this process, on a runtime of its own (the
/// tests themselves are synchronous). Dropped before its runtime.
pub(crate) struct Cluster {
    pub cluster: EmulatedCluster,
    /// The runtime the emulator runs on; tests may spawn helpers on it.
    pub runtime: tokio::runtime::Runtime,
}

impl std::ops::Deref for Cluster {
    type Target = EmulatedCluster;

    fn deref(&self) -> &EmulatedCluster {
        &self.cluster
    }
}

impl Cluster {
    /// A cluster of `flavor` with the repository `backups`.
    pub(crate) fn start(flavor: Flavor) -> Cluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let cluster = runtime.block_on(EmulatedCluster::start(flavor)).unwrap();
        cluster.add_repository("backups");
        Cluster { cluster, runtime }
    }
}

/// A file `name` in a temporary directory of this test process (one per
/// process, so parallel test binaries do not collide).
pub(crate) fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backup-actuator-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}
