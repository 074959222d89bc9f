//! `cx-support`, the support team's command (seed 003 §4-5):
//!
//! - `cx-support failed-requests [--since T] [--until T] [--route PREFIX] [--json] [FILE...]`
//!   reads request logs (any service's, rotated ones and gzip-compressed ones included; standard
//!   input without a file or with `-`) and says how many requests failed, 4xx and 5xx apart,
//!   which callers and allies they hit and how often, the problem types, the routes and the
//!   first and last failure ([`forensics`]). Unreadable lines are counted, not fatal.
//! - `cx-support rotate-credentials-key [--dry-run]` re-encrypts every stored ally credentials
//!   version under the current key ([`crate::key_rotation`]); `--dry-run` only counts the
//!   versions per key. It reads ecommerce's own settings (`ECOMMERCE__DATABASE__URL`,
//!   `ECOMMERCE__CREDENTIALS__*`...), so it runs where the service runs, with its environment.
//!
//! It is a binary of the ecommerce crate because rotating needs ecommerce's settings, database
//! and vault; reading logs needs only the lines' field names (`platform::http::fields`), and
//! lives here with the rest of the support tools rather than in the platform every service
//! carries.

pub mod forensics;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use forensics::{FailedRequests, Window};
use platform::db::Db;

use crate::config::{LIST_SETTINGS, Settings};
use crate::key_rotation;

const USAGE: &str = "\
cx-support: the Cargo Express support team's command (docs/soporte.md)

  cx-support failed-requests [--since T] [--until T] [--route PREFIX] [--json] [FILE...]
      Failed requests in request logs (standard input without FILE, or with -): how many
      (4xx and 5xx apart), which callers and allies, problem types, routes, first and last.
      T is an RFC 3339 time (2026-12-02T18:00:00Z, 2026-12-02T13:00:00-05:00) or a date
      (2026-12-02, midnight UTC). Rotated files and .gz files are read as they are.

  cx-support rotate-credentials-key [--dry-run]
      Re-encrypts every ally credentials version under the current key, with ecommerce's
      settings (ECOMMERCE__DATABASE__URL, ECOMMERCE__CREDENTIALS__KEY_FILE or __KEY, and the
      older keys in ECOMMERCE__CREDENTIALS__PREVIOUS_KEY_FILES or __PREVIOUS_KEYS).
      --dry-run only counts the versions under each key.
";

/// Runs the command line `args` (without the program's name).
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let args: Vec<String> = args.into_iter().collect();
    let command = args.split_first().map(|(name, rest)| (name.as_str(), rest));
    let result = match command {
        Some(("failed-requests", rest)) => failed_requests(rest),
        Some(("rotate-credentials-key", rest)) => rotate_credentials_key(rest),
        Some(("help" | "--help" | "-h", _)) => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    result.unwrap_or_else(|error| {
        eprintln!("cx-support: {error:#}");
        ExitCode::FAILURE
    })
}

/// The options of `failed-requests`.
#[derive(Debug, Default, PartialEq)]
struct FailedRequestsOptions {
    window: WindowOptions,
    json: bool,
    files: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
struct WindowOptions {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    route: Option<String>,
}

fn parse_failed_requests(args: &[String]) -> anyhow::Result<FailedRequestsOptions> {
    let mut options = FailedRequestsOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--since" => options.window.since = Some(parse_time(&value("--since")?)?),
            "--until" => options.window.until = Some(parse_time(&value("--until")?)?),
            "--route" => options.window.route = Some(value("--route")?),
            "--json" => options.json = true,
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n\n{USAGE}"),
            file => options.files.push(file.to_owned()),
        }
    }
    Ok(options)
}

/// An RFC 3339 time, or a date (its midnight, UTC).
fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .with_context(|| {
            format!("{text:?} is not a time: give 2026-12-02T18:00:00Z, or a date, 2026-12-02")
        })
}

fn failed_requests(args: &[String]) -> anyhow::Result<ExitCode> {
    let options = parse_failed_requests(args)?;
    let mut failed = FailedRequests::new(Window {
        since: options.window.since,
        until: options.window.until,
        route_prefix: options.window.route,
    });
    let mut unreadable_files = 0;
    let files = if options.files.is_empty() {
        vec!["-".to_owned()]
    } else {
        options.files
    };
    for file in &files {
        let read = open_log(file).and_then(|mut log| {
            failed
                .read(&mut log)
                .with_context(|| format!("reading {file} (the lines before were counted)"))
        });
        if let Err(error) = read {
            eprintln!("cx-support: {error:#}");
            unreadable_files += 1;
        }
    }
    let report = failed.report();
    let mut out = io::stdout().lock();
    if options.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report.to_text())?;
    }
    Ok(if unreadable_files > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A log file (`-`: standard input), decompressed when it is gzip (`logrotate`'s `compress`).
fn open_log(file: &str) -> anyhow::Result<Box<dyn BufRead>> {
    let input: Box<dyn Read> = if file == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(file).with_context(|| format!("opening {file}"))?)
    };
    let mut input = BufReader::new(input);
    let is_gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if is_gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(input)))
    } else {
        Box::new(input)
    })
}

fn rotate_credentials_key(args: &[String]) -> anyhow::Result<ExitCode> {
    let dry_run = match args {
        [] => false,
        [flag] if flag == "--dry-run" => true,
        _ => bail!("rotate-credentials-key takes only --dry-run\n\n{USAGE}"),
    };
    let settings = platform::settings::load::<Settings>("ecommerce", &LIST_SETTINGS)?.settings;
    let vault = settings.credentials_vault()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let db = Db::connect(&settings.database.parsed_url()?, 2)?;
        println!("current key: {}", vault.current_key_id());
        if dry_run {
            let usage = key_rotation::key_usage(&db, &vault).await?;
            if usage.is_empty() {
                println!("no credentials stored");
            }
            for key in usage {
                let state = match (key.current, key.held) {
                    (true, _) => "current",
                    (false, true) => "older, held: a rotation re-encrypts these",
                    (false, false) => "NOT HELD by any setting: these cannot be read",
                };
                println!("  {}  {} versions  ({state})", key.key_id, key.versions);
            }
            return Ok(ExitCode::SUCCESS);
        }
        let rotation = key_rotation::rotate(&db, &vault).await?;
        let total: u64 = rotation.re_encrypted.values().sum();
        println!(
            "re-encrypted {total} credentials versions under {}",
            rotation.current_key_id
        );
        for (key, count) in &rotation.re_encrypted {
            println!("  from {key}: {count}");
        }
        if rotation.left.is_empty() {
            println!(
                "every version is under the current key: the older keys can leave the settings"
            );
            Ok(ExitCode::SUCCESS)
        } else {
            for (key, count) in &rotation.left {
                println!("  still under {key}: {count} versions (no setting holds that key)");
            }
            Ok(ExitCode::FAILURE)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn failed_requests_takes_a_window_json_and_files() {
        let options = parse_failed_requests(&args(
            "--since 2026-12-02 --until 2026-12-02T13:00:00-05:00 --route /allies --json a.log a.log.1.gz",
        ))
        .unwrap();
        assert_eq!(
            options.window.since.unwrap().to_rfc3339(),
            "2026-12-02T00:00:00+00:00"
        );
        assert_eq!(
            options.window.until.unwrap().to_rfc3339(),
            "2026-12-02T18:00:00+00:00"
        );
        assert_eq!(options.window.route.as_deref(), Some("/allies"));
        assert!(options.json);
        assert_eq!(options.files, ["a.log", "a.log.1.gz"]);
        assert!(parse_failed_requests(&args("--since yesterday")).is_err());
        assert!(parse_failed_requests(&args("--since")).is_err());
        assert!(parse_failed_requests(&args("--verbose")).is_err());
    }
}
