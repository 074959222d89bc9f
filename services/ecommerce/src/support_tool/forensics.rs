//! Reading request logs back to answer seed 003 §4: "people say their credentials do not work;
//! how many requests failed, and which clients were affected?"
//!
//! Every service writes one JSON line per failed request when it ends ([`platform::http`]; per
//! successful one too when DEBUG is on for [`platform::telemetry::SUCCESSES_TARGET`]): its time,
//! method, route, status, latency, caller, ally and problem type. [`FailedRequests`] reads any
//! number of such logs (a service's file, its rotated predecessors, several replicas' files, or
//! standard input) and counts the failures: 4xx and 5xx apart, per caller, per ally, per problem
//! type and per route, with the first and last failure.
//!
//! Logs are evidence, and evidence is messy: a file rotated mid-write starts with half a line, a
//! disk that filled up ends with one, a crash can leave garbage. A line that is not JSON is
//! counted as unreadable and skipped, never fatal; so is a line longer than
//! [`MAX_LINE_BYTES`] (read through, not kept). Lines that are JSON but not a request's end (a
//! warning, a start-up line) are counted apart.

use std::collections::HashMap;
use std::io::{self, BufRead};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use platform::http::fields;

/// The name of every request's root span (tracing-actix-web's).
const REQUEST_SPAN: &str = "HTTP request";

/// Lines longer than this are not log lines of ours: counted unreadable, not kept in memory.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Which requests to look at.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Only requests that ended at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only requests that ended at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only requests whose route pattern (`/allies/{allyId}/credentials`) or path
    /// (`/allies/0193.../credentials`) starts with this.
    pub route_prefix: Option<String>,
}

/// One request as its log line tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLine {
    pub time: Option<DateTime<Utc>>,
    pub method: String,
    pub route: String,
    pub path: String,
    pub status: u16,
    pub principal: String,
    pub principal_role: Option<String>,
    pub ally_id: Option<String>,
    pub problem_type: Option<String>,
    pub request_id: Option<String>,
}

/// What a line of a log is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// The end of a request.
    Request(Box<RequestLine>),
    /// A JSON log line of another kind (a warning, a start-up message).
    Other,
    /// Not a JSON object: a torn, truncated or corrupt line.
    Unreadable,
}

impl Line {
    /// Reads one log line.
    pub fn parse(bytes: &[u8]) -> Line {
        let Ok(Value::Object(line)) = serde_json::from_slice::<Value>(bytes) else {
            return Line::Unreadable;
        };
        let Some(Value::Object(span)) = line.get("span") else {
            return Line::Other;
        };
        let is_request_end = span.get("name").and_then(Value::as_str) == Some(REQUEST_SPAN)
            && line.get("message").and_then(Value::as_str) == Some("close");
        let status = span
            .get("http.status_code")
            .and_then(|status| match status {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .and_then(|status| u16::try_from(status).ok());
        let (true, Some(status)) = (is_request_end, status) else {
            return Line::Other;
        };
        let text = |name: &str| {
            span.get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let time = line
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map(|time| time.with_timezone(&Utc));
        Line::Request(Box::new(RequestLine {
            time,
            method: text("http.method").unwrap_or_default(),
            route: text("http.route").unwrap_or_default(),
            path: text("http.target").unwrap_or_default(),
            status,
            principal: text(fields::PRINCIPAL).unwrap_or_else(|| fields::ANONYMOUS.to_owned()),
            principal_role: text(fields::PRINCIPAL_ROLE),
            ally_id: text(fields::ALLY_ID),
            problem_type: text(fields::PROBLEM_TYPE),
            request_id: text("request_id"),
        }))
    }
}

impl Window {
    fn admits(&self, request: &RequestLine) -> bool {
        let in_time = match (request.time, self.since, self.until) {
            (None, None, None) => true,
            // A window in time cannot place a request without a time.
            (None, _, _) => false,
            (Some(time), since, until) => {
                since.is_none_or(|since| time >= since) && until.is_none_or(|until| time <= until)
            }
        };
        let on_route = self.route_prefix.as_deref().is_none_or(|prefix| {
            request.route.starts_with(prefix) || request.path.starts_with(prefix)
        });
        in_time && on_route
    }
}

/// Failures of one caller, ally, problem type or route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// The caller's user id (or `anonymous`), the ally id, the problem type or the route.
    pub key: String,
    /// The caller's role, for callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub failures: u64,
    pub client_errors: u64,
    pub server_errors: u64,
}

/// How the lines read were taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    pub read: u64,
    /// Ends of requests (in the window or not).
    pub requests: u64,
    /// JSON log lines of other kinds.
    pub other: u64,
    /// Lines that were not JSON (torn, truncated, corrupt), or too long: skipped.
    pub unreadable: u64,
}

/// The answer: failures in the window, who and what they hit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Requests in the window.
    pub requests: u64,
    /// Of which failed (status 400 or more).
    pub failed: u64,
    /// Failures with a 4xx status (the request was refused).
    pub client_errors: u64,
    /// Failures with a 5xx status (the server failed).
    pub server_errors: u64,
    pub first_failure: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// Callers whose requests failed, most failures first.
    pub principals: Vec<Tally>,
    /// Allies (sellers) whose routes failed, most failures first.
    pub allies: Vec<Tally>,
    pub problem_types: Vec<Tally>,
    pub routes: Vec<Tally>,
    pub lines: LineCounts,
}

/// Reads logs and counts their failed requests in a [`Window`].
#[derive(Debug, Default)]
pub struct FailedRequests {
    window: Window,
    report: Report,
    principals: HashMap<String, Tally>,
    allies: HashMap<String, Tally>,
    problem_types: HashMap<String, Tally>,
    routes: HashMap<String, Tally>,
}

impl FailedRequests {
    pub fn new(window: Window) -> Self {
        Self {
            window,
            ..Self::default()
        }
    }

    /// Reads every line of `log`. Only a failure to read (not a bad line) is an error.
    pub fn read(&mut self, log: &mut impl BufRead) -> io::Result<()> {
        let mut line = Vec::new();
        while let Some(complete) = next_line(log, &mut line, MAX_LINE_BYTES)? {
            let parsed = if complete {
                Line::parse(&line)
            } else {
                Line::Unreadable
            };
            self.take(parsed);
        }
        Ok(())
    }

    /// Counts one line.
    pub fn take(&mut self, line: Line) {
        let counts = &mut self.report.lines;
        counts.read += 1;
        let request = match line {
            Line::Request(request) => request,
            Line::Other => {
                counts.other += 1;
                return;
            }
            Line::Unreadable => {
                counts.unreadable += 1;
                return;
            }
        };
        counts.requests += 1;
        if !self.window.admits(&request) {
            return;
        }
        self.report.requests += 1;
        if request.status < 400 {
            return;
        }
        let server = request.status >= 500;
        let report = &mut self.report;
        report.failed += 1;
        if server {
            report.server_errors += 1;
        } else {
            report.client_errors += 1;
        }
        if let Some(time) = request.time {
            report.first_failure = Some(report.first_failure.map_or(time, |t| t.min(time)));
            report.last_failure = Some(report.last_failure.map_or(time, |t| t.max(time)));
        }
        let principal = count(&mut self.principals, &request.principal, server);
        if principal.role.is_none() {
            principal.role.clone_from(&request.principal_role);
        }
        if let Some(ally) = &request.ally_id {
            count(&mut self.allies, ally, server);
        }
        let problem = request.problem_type.as_deref().unwrap_or("(none)");
        count(&mut self.problem_types, problem, server);
        let route = format!("{} {}", request.method, request.route);
        count(&mut self.routes, &route, server);
    }

    /// The counts so far.
    pub fn report(&self) -> Report {
        let mut report = self.report.clone();
        report.principals = ranked(&self.principals);
        report.allies = ranked(&self.allies);
        report.problem_types = ranked(&self.problem_types);
        report.routes = ranked(&self.routes);
        report
    }
}

fn count<'a>(tallies: &'a mut HashMap<String, Tally>, key: &str, server: bool) -> &'a mut Tally {
    let tally = tallies.entry(key.to_owned()).or_insert_with(|| Tally {
        key: key.to_owned(),
        ..Tally::default()
    });
    tally.failures += 1;
    if server {
        tally.server_errors += 1;
    } else {
        tally.client_errors += 1;
    }
    tally
}

/// Most failures first, then by key, so that the same logs always print the same.
fn ranked(tallies: &HashMap<String, Tally>) -> Vec<Tally> {
    let mut ranked: Vec<Tally> = tallies.values().cloned().collect();
    ranked.sort_by(|a, b| b.failures.cmp(&a.failures).then_with(|| a.key.cmp(&b.key)));
    ranked
}

/// Reads the next line of `log` into `line` (without its end), keeping at most `max` bytes:
/// `Some(true)` for a line, `Some(false)` for one that was longer (read through, cut), `None`
/// at the end. A last line without a newline counts.
fn next_line(log: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
    line.clear();
    let (mut any, mut complete) = (false, true);
    loop {
        let available = match log.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(any.then_some(complete));
        }
        any = true;
        // The bytes before the first newline, when the buffer holds one.
        let (chunk, ends) = match available.split(|b| *b == b'\n').next() {
            Some(chunk) if chunk.len() < available.len() => (chunk, Some(chunk.len() + 1)),
            _ => (available, None),
        };
        if line.len() + chunk.len() > max {
            complete = false;
        } else if complete {
            line.extend_from_slice(chunk);
        }
        let used = ends.unwrap_or(available.len());
        log.consume(used);
        if ends.is_some() {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(complete));
        }
    }
}

impl Report {
    /// The report for a person: counts, then the callers, allies, problem types and routes.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let time = |t: Option<DateTime<Utc>>| {
            t.map_or_else(
                || "-".to_owned(),
                |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )
        };
        out.push_str(&format!(
            "Failed requests: {} of {} ({} client errors 4xx, {} server errors 5xx)\n",
            self.failed, self.requests, self.client_errors, self.server_errors
        ));
        out.push_str(&format!(
            "First failure: {}\nLast failure:  {}\n",
            time(self.first_failure),
            time(self.last_failure)
        ));
        let sections = [
            ("Callers affected (user id, role)", &self.principals),
            ("Allies affected (ally id)", &self.allies),
            ("Problem types", &self.problem_types),
            ("Routes", &self.routes),
        ];
        for (title, tallies) in sections {
            out.push_str(&format!("\n{title}:\n"));
            if tallies.is_empty() {
                out.push_str("  none\n");
            }
            for tally in tallies {
                let role = tally
                    .role
                    .as_deref()
                    .map(|role| format!(" ({role})"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {:>6}  {}{role}  [4xx {}, 5xx {}]\n",
                    tally.failures, tally.key, tally.client_errors, tally.server_errors
                ));
            }
        }
        let lines = &self.lines;
        out.push_str(&format!(
            "\nLines read: {} ({} requests, {} other log lines, {} unreadable lines skipped)\n",
            lines.read, lines.requests, lines.other, lines.unreadable
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_line(
        time: &str,
        route: &str,
        status: u16,
        principal: Option<(&str, &str)>,
    ) -> String {
        let mut span = serde_json::json!({
            "name": "HTTP request", "http.method": "POST", "http.route": route,
            "http.target": route.replace("{allyId}", "ally-1"), "http.status_code": status,
            "request_id": "r1", "latency_ms": 1.5,
        });
        match principal {
            Some((id, role)) => {
                span["principal"] = id.into();
                span["principal_role"] = role.into();
            }
            None => span["principal"] = "anonymous".into(),
        }
        if route.contains("{allyId}") {
            span["ally_id"] = "ally-1".into();
        }
        if status >= 400 {
            span["problem_type"] = "urn:cargo-express:problem:not-found".into();
        }
        serde_json::json!({"timestamp": time, "level": "INFO", "message": "close", "span": span})
            .to_string()
    }

    #[test]
    fn a_request_line_is_read_with_its_forensic_fields() {
        let line = request_line(
            "2026-12-02T18:00:00.5Z",
            "/allies/{allyId}/credentials",
            400,
            Some(("u1", "support")),
        );
        let Line::Request(request) = Line::parse(line.as_bytes()) else {
            panic!("a request line");
        };
        assert_eq!(request.status, 400);
        assert_eq!(request.principal, "u1");
        assert_eq!(request.principal_role.as_deref(), Some("support"));
        assert_eq!(request.ally_id.as_deref(), Some("ally-1"));
        assert_eq!(request.path, "/allies/ally-1/credentials");
        assert_eq!(
            Line::parse(b"{\"message\": \"ecommerce ready\"}"),
            Line::Other
        );
        assert_eq!(
            Line::parse(b"{\"timestamp\": \"2026-12-0"),
            Line::Unreadable
        );
        assert_eq!(Line::parse(b"\x00\xff\xfe"), Line::Unreadable);
    }

    #[test]
    fn failures_are_counted_per_kind_caller_ally_and_problem() {
        let credentials = "/allies/{allyId}/credentials";
        let log = [
            request_line(
                "2026-12-02T18:00:00Z",
                credentials,
                200,
                Some(("u1", "support")),
            ),
            request_line(
                "2026-12-02T18:01:00Z",
                credentials,
                400,
                Some(("u1", "support")),
            ),
            request_line(
                "2026-12-02T18:02:00Z",
                credentials,
                500,
                Some(("u2", "marketplace_admin")),
            ),
            request_line("2026-12-02T18:03:00Z", "/sellers", 401, None),
            "{\"timestamp\":\"2026-12-02T18:04:00Z\",\"level\":\"WARN\",\"message\":\"x\"}"
                .to_owned(),
            "{\"timestamp\": \"2026-12-02T18:0".to_owned(),
        ]
        .join("\n");
        let mut failed = FailedRequests::new(Window::default());
        failed.read(&mut log.as_bytes()).unwrap();
        let report = failed.report();
        assert_eq!((report.requests, report.failed), (4, 3));
        assert_eq!((report.client_errors, report.server_errors), (2, 1));
        assert_eq!(
            report.first_failure.unwrap().to_rfc3339(),
            "2026-12-02T18:01:00+00:00"
        );
        assert_eq!(
            report.last_failure.unwrap().to_rfc3339(),
            "2026-12-02T18:03:00+00:00"
        );
        let callers: Vec<(&str, u64)> = report
            .principals
            .iter()
            .map(|t| (t.key.as_str(), t.failures))
            .collect();
        assert_eq!(callers, [("anonymous", 1), ("u1", 1), ("u2", 1)]);
        assert_eq!(report.principals[1].role.as_deref(), Some("support"));
        assert_eq!(report.allies.len(), 1);
        assert_eq!(
            (report.allies[0].failures, report.allies[0].server_errors),
            (2, 1)
        );
        assert_eq!(
            report.lines,
            LineCounts {
                read: 6,
                requests: 4,
                other: 1,
                unreadable: 1
            }
        );
        let text = report.to_text();
        assert!(text.contains("Failed requests: 3 of 4"), "{text}");
        assert!(text.contains("1 unreadable lines skipped"), "{text}");
    }

    #[test]
    fn the_window_limits_time_and_route() {
        let log = [
            request_line(
                "2026-12-02T17:59:59Z",
                "/allies/{allyId}/credentials",
                400,
                None,
            ),
            request_line(
                "2026-12-02T18:00:00Z",
                "/allies/{allyId}/credentials",
                400,
                None,
            ),
            request_line("2026-12-02T18:00:00Z", "/sellers/{id}", 404, None),
            request_line(
                "2026-12-02T18:30:01Z",
                "/allies/{allyId}/credentials",
                500,
                None,
            ),
        ]
        .join("\n");
        let window = Window {
            since: Some("2026-12-02T18:00:00Z".parse().unwrap()),
            until: Some("2026-12-02T18:30:00Z".parse().unwrap()),
            route_prefix: Some("/allies".to_owned()),
        };
        let mut failed = FailedRequests::new(window);
        failed.read(&mut log.as_bytes()).unwrap();
        let report = failed.report();
        assert_eq!((report.requests, report.failed), (1, 1));
        assert_eq!(report.lines.requests, 4);
    }

    #[test]
    fn overlong_and_unterminated_lines_do_not_stop_the_reading() {
        let good = request_line("2026-12-02T18:00:00Z", "/sellers", 403, None);
        let huge = "x".repeat(50);
        let log = format!("{huge}\n{good}\r\n{good}");
        let mut reader = io::BufReader::with_capacity(7, log.as_bytes());
        let mut line = Vec::new();
        assert_eq!(next_line(&mut reader, &mut line, 20).unwrap(), Some(false));
        assert!(line.len() <= 20);
        let mut failed = FailedRequests::new(Window::default());
        failed.take(Line::Unreadable);
        let mut reader = io::BufReader::with_capacity(7, log.as_bytes());
        failed.read(&mut reader).unwrap();
        let report = failed.report();
        assert_eq!(
            report.failed, 2,
            "the CRLF line and the unterminated last line"
        );
        assert_eq!(report.lines.unreadable, 2);
    }
}
