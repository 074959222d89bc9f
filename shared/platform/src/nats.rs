//! The NATS connection, and creation of the platform's JetStream streams and KV buckets.
//!
//! A service connects without waiting for the server (`retry_on_initial_connect`): it starts
//! while NATS is down, answers `/readyz` with 503, and its outbox keeps every event until the
//! server is back.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, kv, stream};
use contracts::streams::{BucketSpec, Namespace, StreamSpec};

use crate::readiness::Readiness;
use crate::settings::NatsSettings;

/// How long a publish waits for JetStream's acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// A NATS client with its JetStream context, the namespace all names are prefixed with, and
/// the start-up steps on NATS (streams, consumers, KV copies) the service still waits for.
#[derive(Clone)]
pub struct Nats {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    namespace: Namespace,
    readiness: Readiness,
}

impl Nats {
    pub async fn connect(settings: &NatsSettings, service: &str) -> anyhow::Result<Self> {
        let namespace = settings.parsed_namespace()?;
        let client = async_nats::ConnectOptions::new()
            .name(service)
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(3))
            .connect(settings.url.as_str())
            .await
            .with_context(|| format!("connecting to NATS at {}", settings.url))?;
        let jetstream = jetstream::context::ContextBuilder::new()
            .ack_timeout(ACK_TIMEOUT)
            .build(client.clone());
        Ok(Self {
            client,
            jetstream,
            namespace,
            readiness: Readiness::default(),
        })
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The start-up steps on NATS not done yet; `/readyz` waits for them.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Waits until the client is connected; `false` if `cancel` fired first. Requests sent
    /// before that would only wait for their timeout.
    pub async fn connected(&self, cancel: &tokio_util::sync::CancellationToken) -> bool {
        while !self.is_connected() {
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = tokio::time::sleep(Duration::from_millis(25)) => {}
            }
        }
        true
    }

    /// Runs `setup` (create streams and buckets, republish reference data) once NATS answers,
    /// retrying with backoff until it succeeds or `cancel` fires. For start-up tasks that
    /// must not stop the service while NATS is down. The step counts for readiness from the
    /// call on, so call it before spawning the future.
    pub fn prepare<F, Fut>(
        &self,
        what: &str,
        cancel: &tokio_util::sync::CancellationToken,
        setup: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F, Fut>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        let step = self.readiness.register(what);
        let (nats, what, cancel) = (self.clone(), what.to_owned(), cancel.clone());
        async move {
            let mut delay = Duration::from_millis(200);
            loop {
                if !nats.connected(&cancel).await {
                    return Ok(());
                }
                match setup().await {
                    Ok(outcome) => {
                        step.done();
                        tracing::info!(what, %outcome, "NATS prepared");
                        return Ok(());
                    }
                    Err(error) => {
                        tracing::warn!(what, error = %format!("{error:#}"), "NATS not prepared yet; retrying")
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(2)),
                }
            }
        }
    }

    /// Creates `spec`'s stream if it does not exist yet (file storage, two-minute dedupe window).
    pub async fn ensure_stream(&self, spec: &StreamSpec) -> anyhow::Result<stream::Stream> {
        let name = self.namespace.stream_name(spec);
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: name.clone(),
                description: Some(spec.description.to_owned()),
                subjects: vec![self.namespace.stream_subjects(spec)],
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating stream {name}"))
    }

    /// Creates `spec`'s KV bucket if it does not exist yet, keeping a short history per key.
    ///
    /// The bucket's stream is created here with the KV conventions rather than through
    /// `create_key_value`, which first reads account fields that nats-server 2.9 (Debian's
    /// package) does not send and so fails there.
    pub async fn ensure_bucket(&self, spec: &BucketSpec) -> anyhow::Result<kv::Store> {
        let name = self.namespace.bucket_name(spec);
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: format!("KV_{name}"),
                description: Some(spec.description.to_owned()),
                subjects: vec![format!("$KV.{name}.>")],
                max_messages_per_subject: 5,
                discard: stream::DiscardPolicy::New,
                allow_direct: true,
                allow_rollup: true,
                deny_delete: true,
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating the stream of KV bucket {name}"))?;
        self.jetstream
            .get_key_value(&name)
            .await
            .with_context(|| format!("opening KV bucket {name}"))
    }
}
