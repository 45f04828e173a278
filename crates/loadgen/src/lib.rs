//! Helpers shared by the load drivers: a keep-alive HTTP client, the
//! server process they drive, and the figures they report.
//!
//! Everything talks only to loopback addresses this process chose.
#![deny(missing_docs)]

use std::net::{SocketAddr, TcpListener};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use tokio::process::{Child, Command};

/// A keep-alive HTTP/1.1 client for loopback.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A new keep-alive client.
pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build_http()
}

/// One request: method, full URL and body; returns status and body.
pub async fn send(
    client: &HttpClient,
    method: http::Method,
    url: &str,
    body: Option<&str>,
) -> Result<(u16, Bytes), String> {
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// A free loopback port, found by binding port 0 and letting it go.
pub fn free_loopback_addr() -> std::io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// The stand-alone server as a child process.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `binary serve --listen <free port> <args…>` and waits until it
    /// accepts connections (at most 30 s).
    pub async fn start(binary: &str, args: &[String]) -> Result<ServerProcess, String> {
        Self::start_logging(binary, args, "warn", None).await
    }

    /// [`ServerProcess::start`] with the `RUST_LOG` filter `log` and, when
    /// `log_file` is given, the server's log written there instead of to
    /// this process's stderr (to count the cluster requests it logs).
    pub async fn start_logging(
        binary: &str,
        args: &[String],
        log: &str,
        log_file: Option<&std::path::Path>,
    ) -> Result<ServerProcess, String> {
        let addr = free_loopback_addr().map_err(|e| e.to_string())?;
        let stderr = match log_file {
            Some(path) => Stdio::from(
                std::fs::File::create(path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
            ),
            None => Stdio::inherit(),
        };
        let child = Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .env("RUST_LOG", log)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("{binary} did not listen on {addr} within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(ServerProcess { child, addr })
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Current and peak resident memory in KiB, from /proc (Linux only).
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        memory_kib(self.pid()?)
    }

    /// Stops the server with SIGTERM-like kill and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// `VmRSS` and `VmHWM` (peak) of a process in KiB.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The CPU time (user + system) process `pid` has used so far, from
/// `/proc/{pid}/stat`, in clock ticks of 10 ms (`USER_HZ` is 100 on Linux).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces, in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The `q`-quantile (0..=1) of sorted samples.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The median of samples (sorted in place).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    quantile(samples, 0.5)
}

/// Milliseconds with three decimals, for reports.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}
