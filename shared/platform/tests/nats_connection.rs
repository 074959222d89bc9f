//! NATS as production runs it, against real nats-servers: credentials and TLS, and streams an
//! owner keeps in line with the settings without losing what they hold.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use platform::nats::Nats;
use platform::settings::{NatsSettings, Retention};
use secrecy::SecretString;
use test_support::{TestNats, free_port, nats_server_binary};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A nats-server that wants TLS (verifying client certificates) and a user and password.
struct SecuredServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl SecuredServer {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port().unwrap();
        let config = dir.path().join("nats.conf");
        std::fs::write(
            &config,
            format!(
                r#"
listen: "127.0.0.1:{port}"
jetstream {{ store_dir: "{store}", sync_interval: always }}
tls {{
  cert_file: "{cert}"
  key_file: "{key}"
  ca_file: "{ca}"
  verify: true
}}
authorization {{ user: "delivery", password: "right-pass-2026" }}
"#,
                store = dir.path().join("store").display(),
                cert = fixture("server.pem").display(),
                key = fixture("server-key.pem").display(),
                ca = fixture("ca.pem").display(),
            ),
        )
        .unwrap();
        let child = Command::new(nats_server_binary())
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    fn settings(&self, password: &str) -> NatsSettings {
        let mut settings = NatsSettings {
            url: format!("nats://127.0.0.1:{port}", port = self.port),
            ..NatsSettings::default()
        };
        settings.auth.user = Some("delivery".to_owned());
        settings.auth.password = Some(SecretString::from(password.to_owned()));
        settings.tls.ca_file = Some(fixture("ca.pem"));
        settings.tls.cert_file = Some(fixture("client.pem"));
        settings.tls.key_file = Some(fixture("client-key.pem"));
        settings
    }
}

impl Drop for SecuredServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a client with `settings` gets JetStream's answer within a few seconds.
async fn jetstream_answers(settings: &NatsSettings) -> bool {
    let nats = Nats::connect(settings, "connection-test").await.unwrap();
    tokio::time::timeout(Duration::from_secs(3), nats.ensure_stream(&ORDERS))
        .await
        .is_ok_and(|created| created.is_ok())
}

#[tokio::test]
async fn a_service_connects_with_its_credentials_over_tls_and_not_without() {
    platform::telemetry::init_for_test();
    let server = SecuredServer::start().await;

    assert!(jetstream_answers(&server.settings("right-pass-2026")).await);

    assert!(
        !jetstream_answers(&server.settings("wrong-pass")).await,
        "a wrong password is refused"
    );
    let mut no_client_certificate = server.settings("right-pass-2026");
    no_client_certificate.tls.cert_file = None;
    no_client_certificate.tls.key_file = None;
    assert!(
        !jetstream_answers(&no_client_certificate).await,
        "the server verifies clients"
    );
}

#[tokio::test]
async fn the_owner_updates_its_stream_in_place_when_retention_changes() {
    platform::telemetry::init_for_test();
    let server = TestNats::start_private().await.unwrap();
    let mut settings = server.settings();
    let owner = Nats::connect(&settings, "owner").await.unwrap();
    let mut stream = owner.reconcile_stream(&ORDERS).await.unwrap();
    let info = stream.info().await.unwrap().clone();
    assert_eq!(info.config.max_age, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(info.config.max_bytes, 1 << 30);
    assert_eq!(info.config.duplicate_window, Duration::from_secs(120));
    let subject = owner
        .namespace()
        .resolve(&orders::subject(OrderStatus::Created));
    for n in 0..3 {
        owner
            .jetstream()
            .publish(subject.clone(), format!("event {n}").into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    settings.jetstream.retention.insert(
        "orders".to_owned(),
        Retention {
            max_age_days: Some(3),
            max_bytes: Some(64 * 1024 * 1024),
        },
    );
    settings.jetstream.duplicate_window_seconds = 60;
    let restarted = Nats::connect(&settings, "owner").await.unwrap();
    let mut stream = restarted.reconcile_stream(&ORDERS).await.unwrap();

    let updated = stream.info().await.unwrap().clone();
    assert_eq!(updated.config.max_age, Duration::from_secs(3 * 24 * 3600));
    assert_eq!(updated.config.max_bytes, 64 * 1024 * 1024);
    assert_eq!(updated.config.duplicate_window, Duration::from_secs(60));
    assert_eq!(
        updated.created, info.created,
        "the same stream, not a new one"
    );
    assert_eq!(updated.state.messages, 3, "nothing it held is lost");

    // A reader with other settings takes the stream as its owner left it.
    let reader = Nats::connect(&server.settings(), "reader").await.unwrap();
    let mut seen = reader.ensure_stream(&ORDERS).await.unwrap();
    let seen = seen.info().await.unwrap();
    assert_eq!(seen.config.max_age, Duration::from_secs(3 * 24 * 3600));
}
