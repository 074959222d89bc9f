//! `docs/soporte.md` cannot rot: its command blocks run here, as written, with bash, against the
//! real service (its binary, its log file, `cx-support`, `sqlite3` or `psql`), and what each
//! prints is compared with the "respuesta esperada" block that follows it.
//!
//! Blocks: ```` ```sh ```` runs; ```` ```sh sqlite ```` / ```` ```sh postgres ```` runs on that
//! backend only; ```` ```sh operador ```` is an operator's action (restarting the service with
//! new `ECOMMERCE__...` variables), which the test performs itself; ```` ```sh kubernetes ````
//! does not run. A ```` ```text ```` block (with the same backend word, if any) is the expected
//! output of the block before it: each of its lines must appear in some output line, `…`
//! standing for any text.

use std::path::Path;
use std::process::Command;

use crate::binary::RunningService;
use crate::support_reports::run_sql_on;

#[derive(Debug)]
enum Block {
    /// Commands to run, with the output expected of them.
    Run {
        line: usize,
        script: String,
        expected: Vec<String>,
    },
    /// An operator restarts the service with these variables.
    Restart { variables: Vec<(String, String)> },
}

/// The blocks of the runbook that concern `backend` (`sqlite` or `postgres`), in order.
fn blocks(markdown: &str, backend: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let (language, qualifier) = (words.next().unwrap_or(""), words.next());
        let mut body = Vec::new();
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            body.push(line);
        }
        let for_us = qualifier.is_none_or(|q| q == backend);
        match (language, qualifier) {
            ("sh", Some("operador")) => blocks.push(Block::Restart {
                variables: body
                    .iter()
                    .flat_map(|line| line.split_whitespace())
                    .filter_map(|word| word.split_once('='))
                    .filter(|(name, _)| name.starts_with("ECOMMERCE__"))
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            }),
            ("sh", Some("kubernetes")) => {}
            ("sh", _) if for_us => blocks.push(Block::Run {
                line: number + 1,
                script: body.join("\n"),
                expected: Vec::new(),
            }),
            ("text", _) if for_us => {
                if let Some(Block::Run { expected, .. }) = blocks.last_mut() {
                    expected.extend(body.iter().map(|l| (*l).to_owned()));
                }
            }
            _ => {}
        }
    }
    blocks
}

/// Whether some line of `output` holds the parts of `expected` between its `…`, in order.
fn shows(output: &str, expected: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').filter(|p| !p.is_empty()).collect();
    output.lines().any(|line| {
        let mut rest = line;
        parts.iter().all(|part| match rest.find(part) {
            Some(at) => {
                rest = &rest[at + part.len()..];
                true
            }
            None => false,
        })
    })
}

/// A request's log line is written once its answer has been sent (when its span closes), so a
/// block that reads the log right after a request could miss that request's line. Before each
/// block, this waits until the log holds a line for every request the service has counted in
/// `/metrics` since it started (after a restart the log also holds the former process's lines,
/// which only makes the wait shorter).
const WAIT_FOR_REQUEST_LINES: &str = r#"
cx_wait_for_request_lines() {
  local counted logged
  for _ in $(seq 1 400); do
    counted=$(curl -s "$ECOMMERCE/metrics" | awk '/^http_requests_total[{ ]/ { n += $NF } END { print n + 0 }')
    logged=$("$CX_SUPPORT" failed-requests "$LOG" | sed -nE 's/^Lines read: [0-9]+ \(([0-9]+) requests.*/\1/p')
    [ "${logged:-0}" -ge "$counted" ] && return 0
    sleep 0.05
  done
  echo "the log holds $logged request lines, the service counted $counted requests" >&2
  return 1
}
"#;

/// Runs `blocks` in one bash, each announced by a marker; answers each block's output.
fn run_blocks(
    blocks: &[(usize, &str)],
    workdir: &Path,
    environment: &[(&str, String)],
) -> Vec<String> {
    let mut script = format!("set -euo pipefail\n{WAIT_FOR_REQUEST_LINES}\n");
    for (i, (_, body)) in blocks.iter().enumerate() {
        script.push_str(&format!(
            "cx_wait_for_request_lines\nprintf '\\n@@cx-block {i}@@\\n'\n{body}\n"
        ));
    }
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(workdir)
        .envs(environment.iter().map(|(n, v)| (*n, v.as_str())))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the runbook's commands failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut outputs = vec![String::new(); blocks.len()];
    let mut current = None;
    for line in stdout.lines() {
        if let Some(i) = line
            .strip_prefix("@@cx-block ")
            .and_then(|rest| rest.strip_suffix("@@"))
            .and_then(|i| i.parse::<usize>().ok())
        {
            current = Some(i);
        } else if let Some(i) = current {
            outputs[i].push_str(line);
            outputs[i].push('\n');
        }
    }
    outputs
}

#[tokio::test]
async fn runbook_commands_run_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let markdown = std::fs::read_to_string(root.join("docs/soporte.md")).unwrap();
    let mut service = RunningService::start(&[]).await;
    let backend = if service.database_url().starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    // Seed 003's two stores, as the database would hold them (their ids are the seed's).
    let now = if backend == "postgres" {
        "now() AT TIME ZONE 'UTC'"
    } else {
        "CURRENT_TIMESTAMP"
    };
    let seeded = run_sql_on(
        service.database_url(),
        &format!(
            "INSERT INTO sellers (id, name, description, owner_name, created_at, updated_at) VALUES
               ('0d4f7a40-651d-44fb-8744-04d9b31ef844', 'Finanzas Fáciles', 'Cursos', 'Young-Fox', {now}, {now}),
               ('1f585fc9-4926-468c-a728-eb34d80e9ea1', 'Addi', 'Aliado de pagos', NULL, {now}, {now});
             INSERT INTO seller_tags (seller_id, tag) VALUES
               ('0d4f7a40-651d-44fb-8744-04d9b31ef844', 'finance'),
               ('0d4f7a40-651d-44fb-8744-04d9b31ef844', 'courses');"
        ),
    );
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

    // The runbook runs from the repository's root: `docs/` is there, `data/` is written to.
    let workdir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("docs"), workdir.path().join("docs")).unwrap();
    let environment = [
        ("ECOMMERCE", service.api.address.clone()),
        ("DATABASE_URL", service.database_url().to_owned()),
        ("LOG", service.log.display().to_string()),
        ("CX_SUPPORT", env!("CARGO_BIN_EXE_cx-support").to_owned()),
    ];

    let all = blocks(&markdown, backend);
    let preparation = match all.first() {
        Some(Block::Run { line, script, .. }) => (*line, script.as_str()),
        other => panic!("the runbook starts with its preparation block, not {other:?}"),
    };
    let mut checked = 0;
    // Segments of commands between the operator's restarts; each starts with the preparation.
    let mut segments: Vec<Vec<&Block>> = vec![Vec::new()];
    let mut restarts = Vec::new();
    for block in &all {
        match block {
            Block::Run { .. } => segments.last_mut().unwrap().push(block),
            Block::Restart { variables } => {
                restarts.push(variables);
                segments.push(Vec::new());
            }
        }
    }
    assert!(
        !restarts.is_empty(),
        "the key rotation restarts the service"
    );
    for (n, segment) in segments.iter().enumerate() {
        if n > 0 {
            let variables: Vec<(String, String)> = restarts[n - 1]
                .iter()
                .map(|(name, value)| {
                    let path = workdir.path().join(value);
                    let value = if path.exists() {
                        path.display().to_string()
                    } else {
                        value.clone()
                    };
                    (name.clone(), value)
                })
                .collect();
            let refs: Vec<(&str, &str)> = variables
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            service.restart_with(&refs, &[]).await;
        }
        let mut runs: Vec<(usize, &str)> = Vec::new();
        let mut expectations: Vec<Option<&Vec<String>>> = Vec::new();
        if n > 0 {
            runs.push(preparation);
            expectations.push(None);
        }
        for block in segment {
            if let Block::Run {
                line,
                script,
                expected,
            } = block
            {
                runs.push((*line, script.as_str()));
                expectations.push(Some(expected));
            }
        }
        let outputs = run_blocks(&runs, workdir.path(), &environment);
        for ((line, script), (output, expected)) in
            runs.iter().zip(outputs.iter().zip(expectations))
        {
            for wanted in expected.into_iter().flatten() {
                assert!(
                    shows(output, wanted),
                    "docs/soporte.md line {line}: the block\n{script}\nprinted\n{output}\nwhich does not show\n{wanted}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} expected lines were checked");
}

#[test]
fn expected_lines_match_with_ellipses() {
    assert!(shows(
        "x\n{\"message\":\"Credentials added\",\"allyId\":\"1f\"}\n",
        "{\"message\":\"Credentials added\",\"allyId\":\"…\"}"
    ));
    assert!(!shows("{\"b\":1,\"a\":2}", "\"a\":…\"b\":"));
    let doc = "```sh\necho a\n```\n```text\na\n```\n```sh postgres\necho p\n```\n```sh operador\nECOMMERCE__X=f ./scripts/up\n```\n```sh kubernetes\nkubectl\n```\n";
    let found = blocks(doc, "sqlite");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(matches!(&found[0], Block::Run { expected, .. } if expected == &["a"]));
    assert!(
        matches!(&found[1], Block::Restart { variables } if variables == &[("ECOMMERCE__X".to_owned(), "f".to_owned())])
    );
}
