//! What the benchmark binaries share: their knobs and the databases they run on.

use crate::TestDatabase;

/// A knob from the environment, e.g. `env_or("BENCH_SECONDS", 10)`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The databases to measure, in order: SQLite, then PostgreSQL at `BENCH_POSTGRES_URL`
/// (default the local server) when it answers; `BENCH_BACKENDS` (default `sqlite,postgres`)
/// picks. A PostgreSQL that does not answer is reported and skipped.
pub fn databases() -> Vec<(&'static str, TestDatabase)> {
    let wanted = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let mut databases = Vec::new();
    for backend in ["sqlite", "postgres"] {
        if !wanted.contains(backend) {
            continue;
        }
        match database(backend) {
            Ok(db) => databases.push((backend, db)),
            Err(error) => println!("{backend:<11} skipped: {error}"),
        }
    }
    databases
}

/// A fresh database of `backend` (`sqlite`, or `postgres` at `BENCH_POSTGRES_URL`, default the
/// local server), for a benchmark that needs more than one per backend.
pub fn database(backend: &str) -> anyhow::Result<TestDatabase> {
    if backend == "sqlite" {
        return TestDatabase::sqlite();
    }
    let url = std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
    });
    TestDatabase::postgres(&url)
}

/// Waits until the service at `base` answers `/readyz` with success; panics after `within`.
pub async fn wait_ready(client: &reqwest::Client, base: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the service at {base} never became ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The machine's cores, for the benchmark's header line.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy)]
pub struct WrkRun {
    /// Requests answered, of any status.
    pub requests: u64,
    /// Answers per second, of any status.
    pub requests_per_second: f64,
    /// Answers per second with a 2xx or 3xx status.
    pub ok_per_second: f64,
    /// Answers with another status.
    pub other: u64,
    /// Connections refused or broken, and timeouts.
    pub socket_errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs `wrk` (Debian's package: `apt-get install -y wrk`) against `url` from its own process:
/// one thread, `connections` connections for `seconds`, each request made by the Lua `script`
/// (see wrk's SCRIPTING; `wrk.format` builds a request).
pub async fn wrk(
    url: &str,
    script: &str,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<WrkRun> {
    use anyhow::Context as _;
    let mut file = tempfile::Builder::new().suffix(".lua").tempfile()?;
    std::io::Write::write_all(&mut file, script.as_bytes())?;
    let output = tokio::process::Command::new("wrk")
        .args(["-t1", "--latency", "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "-s"])
        .arg(file.path())
        .arg(url)
        .output()
        .await
        .context("wrk does not run; install it with `apt-get install -y wrk`")?;
    let report = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_wrk(&report).with_context(|| format!("reading wrk's report:\n{report}"))
}

fn parse_wrk(report: &str) -> anyhow::Result<WrkRun> {
    let line = |start: &str| {
        report
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(start))
            .ok_or_else(|| anyhow::anyhow!("no line starts with {start:?}"))
    };
    let number = |text: &str| -> anyhow::Result<f64> { Ok(text.trim().parse()?) };
    let requests_per_second = number(line("Requests/sec:")?.trim_start_matches("Requests/sec:"))?;
    // "12345 requests in 10.00s, 3.21MB read"
    let total_line = report
        .lines()
        .map(str::trim)
        .find(|l| l.contains(" requests in "))
        .ok_or_else(|| anyhow::anyhow!("no request count"))?;
    let (total, rest) = total_line
        .split_once(" requests in ")
        .ok_or_else(|| anyhow::anyhow!("no request count"))?;
    let elapsed = number(rest.split_once('s').map_or(rest, |(seconds, _)| seconds))?;
    let other = report
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(Ok(0.0), number)?;
    // "Socket errors: connect 0, read 2, write 0, timeout 1", only when there were some.
    let socket_errors = report
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Socket errors:"))
        .map_or(0, |counts| {
            counts
                .split(',')
                .filter_map(|count| count.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum()
        });
    let total = number(total)?;
    Ok(WrkRun {
        requests: total as u64,
        requests_per_second,
        ok_per_second: (total - other) / elapsed,
        other: other as u64,
        socket_errors,
        p50_ms: latency_ms(line("50%")?)?,
        p99_ms: latency_ms(line("99%")?)?,
    })
}

/// "99%   12.34ms" (or us, s) in milliseconds.
fn latency_ms(line: &str) -> anyhow::Result<f64> {
    let value = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("no latency in {line:?}"))?;
    let (number, factor) = if let Some(v) = value.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1000.0)
    } else {
        anyhow::bail!("no unit in {value:?}")
    };
    Ok(number.parse::<f64>()? * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_wrk_report() {
        let report = "Running 10s test @ http://127.0.0.1:1/orders
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   10.01ms 200.00ms   90.00%
    Req/Sec     1.60k   100.00     1.80k    70.00%
  Latency Distribution
     50%   38.50ms
     75%   45.00ms
     90%   50.00ms
     99%    1.20s
  16000 requests in 10.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 100
Requests/sec:   1600.00
Transfer/sec:      2.00MB
";
        let run = parse_wrk(report).unwrap();
        assert_eq!(run.requests_per_second, 1600.0);
        assert_eq!(run.ok_per_second, 1590.0);
        assert_eq!(run.requests, 16000);
        assert_eq!(run.other, 100);
        assert_eq!(run.socket_errors, 3);
        assert_eq!(run.p50_ms, 38.5);
        assert_eq!(run.p99_ms, 1200.0);
    }
}
