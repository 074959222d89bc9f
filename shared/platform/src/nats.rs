//! The NATS connection, and creation of the platform's JetStream streams and KV buckets.
//!
//! A service connects without waiting for the server (`retry_on_initial_connect`): it starts
//! while NATS is down, answers `/readyz` with 503, and its outbox keeps every event until the
//! server is back. It connects to one server or a cluster, with the configured credentials and
//! TLS. The owner of a stream or bucket reconciles it with the settings at start-up (replicas,
//! retention, duplicate window), updating it in place; a reader only creates what is missing.
//!
//! NATS can lose a stream or bucket a service had (its state lost in a power cut, a volume
//! replaced, an operator's delete). Whoever finds it missing makes it again, with the same
//! configuration, at once: consumers when they re-attach, publishers when JetStream says no
//! stream takes their subject ([`Nats::ensure_home_of`]). Finding missing what this process
//! had seen is logged as a warning, counted (`nats_recreated_total`) and listed in `/readyz`;
//! the lost messages come back from the outboxes (`republish --since`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::{self, kv, stream};
use contracts::streams::{BucketSpec, Home, Namespace, StreamSpec};

use crate::readiness::{PendingStep, Readiness};
use crate::settings::{JetStreamSettings, NatsSettings};

/// How often a bucket's owner checks that NATS still has its bucket ([`Nats::keep_bucket`]).
const BUCKET_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// How often a stream's owner reads how full its stream is ([`Nats::watch_stream`]).
const STREAM_WATCH_INTERVAL: Duration = Duration::from_secs(15);

/// How long a publish waits for JetStream's acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// How long publishing a batch may take in all, acknowledgements included: a guard above the
/// client's own timeouts, which were seen to leave a publish caught by a server restart
/// waiting for good.
pub const PUBLISH_DEADLINE: Duration = Duration::from_secs(12);

/// A NATS client with its JetStream context, the namespace all names are prefixed with, and
/// the start-up steps on NATS (streams, consumers, KV copies) the service still waits for.
#[derive(Clone)]
pub struct Nats {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    namespace: Namespace,
    readiness: Readiness,
    jetstream_settings: JetStreamSettings,
    /// The streams (KV buckets' included) this process has found or made: one of them found
    /// missing later was lost, not never made.
    seen: Arc<Mutex<HashSet<String>>>,
}

impl Nats {
    pub async fn connect(settings: &NatsSettings, service: &str) -> anyhow::Result<Self> {
        let namespace = settings.parsed_namespace()?;
        let servers = settings.servers();
        anyhow::ensure!(!servers.is_empty(), "nats.url names no server");
        let options = connect_options(settings)
            .await?
            .name(service)
            // Replies come under the service's own prefix, which its NATS user alone may read
            // (contracts::permissions).
            .custom_inbox_prefix(contracts::permissions::inbox_prefix(service))
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(3));
        let client = options
            .connect(servers.as_slice())
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
            jetstream_settings: settings.jetstream.clone(),
            seen: Arc::default(),
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
                        tracing::warn!(what, error = %format!("{error:#}"), "NATS not prepared yet; retrying");
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(2)),
                }
            }
        }
    }

    /// Sends a core NATS notice (`contracts::notices`) to this service's other replicas and
    /// waits until the server has it. A notice is not stored: a replica not connected misses it.
    pub async fn announce(
        &self,
        notice: &str,
        payload: impl Into<bytes::Bytes>,
    ) -> anyhow::Result<()> {
        let subject = self.namespace.notice_subject(notice);
        self.client
            .publish(subject.clone(), payload.into())
            .await
            .with_context(|| format!("announcing on {subject}"))?;
        self.client
            .flush()
            .await
            .with_context(|| format!("announcing on {subject}"))
    }

    /// Calls `on_notice` with the payload of every `notice` announced, until `cancel` fires.
    /// The service is not ready until the server has its interest; the step counts from the
    /// call on, so call it before spawning.
    pub fn follow_notices<F>(
        &self,
        notice: &str,
        cancel: tokio_util::sync::CancellationToken,
        on_notice: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F>
    where
        F: Fn(&[u8]),
    {
        let listening = self.readiness.register(format!("notices {notice}"));
        let (nats, subject) = (self.clone(), self.namespace.notice_subject(notice));
        async move {
            loop {
                if !nats.connected(&cancel).await {
                    return Ok(());
                }
                let mut notices = match nats.client.subscribe(subject.clone()).await {
                    Ok(notices) => notices,
                    Err(error) => {
                        tracing::warn!(%error, %subject, "could not follow notices; retrying");
                        tokio::select! {
                            _ = cancel.cancelled() => return Ok(()),
                            _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        }
                    }
                };
                // The server has the interest once a flush returns.
                if nats.client.flush().await.is_ok() {
                    listening.done();
                }
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => return Ok(()),
                        notice = futures_util::StreamExt::next(&mut notices) => match notice {
                            Some(notice) => on_notice(&notice.payload),
                            None => break,
                        },
                    }
                }
            }
        }
    }

    /// `spec`'s stream, created with the configured settings if it does not exist yet; an
    /// existing one is taken as it is (its owner reconciles it, see [`Nats::reconcile_stream`]).
    pub async fn ensure_stream(&self, spec: &StreamSpec) -> anyhow::Result<stream::Stream> {
        let config = self.stream_config(spec);
        self.ensure(config, &format!("stream {}", spec.name)).await
    }

    /// For a publisher that JetStream told no stream takes `subject` (a production subject):
    /// makes its stream or bucket again, as [`Nats::ensure_stream`] and [`Nats::ensure_bucket`]
    /// do. The publish is then retried as any failed one is.
    pub async fn ensure_home_of(&self, subject: &str) -> anyhow::Result<()> {
        match contracts::streams::home_of(subject) {
            Some(Home::Stream(spec)) => self.ensure_stream(&spec).await.map(drop),
            Some(Home::Bucket(spec)) => self.ensure_bucket(&spec).await.map(drop),
            None => anyhow::bail!("no stream of the platform takes {subject}"),
        }
    }

    /// The stream of `config`, made if it is missing; `what` names it in the log.
    async fn ensure(&self, config: stream::Config, what: &str) -> anyhow::Result<stream::Stream> {
        let name = config.name.clone();
        match self.jetstream.get_stream(&name).await {
            Ok(stream) => {
                self.saw(&name);
                return Ok(stream);
            }
            Err(error) => match error.kind() {
                GetStreamErrorKind::JetStream(error)
                    if error.error_code() == ErrorCode::STREAM_NOT_FOUND => {}
                _ => return Err(error).with_context(|| format!("reading {what}")),
            },
        }
        // Lost only if this process had seen it; at start-up several tasks find it missing at
        // once, and the first to find a loss is the one that reports it.
        let lost = self.forget(&name);
        let stream = match self.jetstream.create_stream(config).await {
            Ok(stream) => stream,
            // Another replica or service made it meanwhile.
            Err(_) => self
                .jetstream
                .get_stream(&name)
                .await
                .with_context(|| format!("creating {what}"))?,
        };
        self.saw(&name);
        if lost {
            tracing::warn!(%what, stream = %name, "a stream this service had was missing on NATS: recreated empty (republish the lost events: docs/runbooks.md)");
            metrics::counter!("nats_recreated_total", "what" => what.to_owned()).increment(1);
            self.readiness
                .record_recovery(&format!("{what} was missing: recreated"));
        }
        Ok(stream)
    }

    /// Notes that stream `name` exists.
    fn saw(&self, name: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(name.to_owned());
        }
    }

    /// Forgets stream `name`, found missing; whether this process had seen it.
    fn forget(&self, name: &str) -> bool {
        self.seen.lock().is_ok_and(|mut seen| seen.remove(name))
    }

    /// For the stream's owner: creates it, or updates it in place where its replicas,
    /// retention or duplicate window differ from the settings. Nothing is ever deleted.
    pub async fn reconcile_stream(&self, spec: &StreamSpec) -> anyhow::Result<stream::Stream> {
        let stream = self.ensure_stream(spec).await?;
        self.reconcile(stream, self.stream_config(spec)).await
    }

    /// `spec`'s KV bucket, created if it does not exist yet, keeping a short history per key.
    ///
    /// The bucket's stream is created here with the KV conventions rather than through
    /// `create_key_value` (needed for nats-server 2.9, which the project ran before issue 24;
    /// kept because it makes a lost bucket again the way [`Nats::ensure_stream`] makes a stream).
    pub async fn ensure_bucket(&self, spec: &BucketSpec) -> anyhow::Result<kv::Store> {
        let config = self.bucket_config(spec);
        let name = self.namespace.bucket_name(spec);
        self.ensure(config, &format!("KV bucket {}", spec.name))
            .await?;
        self.jetstream
            .get_key_value(&name)
            .await
            .with_context(|| format!("opening KV bucket {name}"))
    }

    /// The start-up of the service that owns `stream` and `bucket`: once NATS answers,
    /// reconciles both with the settings and runs `refill` (publish the bucket's whole content),
    /// retrying until it succeeds; the service is not ready until then. Then keeps the bucket
    /// ([`Nats::keep_bucket`]), calling `refill` again whenever NATS lost it. Both steps count
    /// for readiness from the call on, so call it before spawning.
    pub fn prepare_owned<F, Fut>(
        &self,
        stream: StreamSpec,
        bucket: BucketSpec,
        cancel: &tokio_util::sync::CancellationToken,
        refill: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F, Fut>
    where
        F: Fn() -> Fut + Clone,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        self.prepare_with(
            format!("{} stream and {} bucket", stream.name, bucket.name),
            Some(stream),
            bucket,
            cancel,
            refill,
        )
    }

    /// As [`Nats::prepare_owned`], for a bucket its owner keeps without a stream of its own.
    pub fn prepare_bucket<F, Fut>(
        &self,
        bucket: BucketSpec,
        cancel: &tokio_util::sync::CancellationToken,
        refill: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F, Fut>
    where
        F: Fn() -> Fut + Clone,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        self.prepare_with(
            format!("{} bucket", bucket.name),
            None,
            bucket,
            cancel,
            refill,
        )
    }

    fn prepare_with<F, Fut>(
        &self,
        what: String,
        stream: Option<StreamSpec>,
        bucket: BucketSpec,
        cancel: &tokio_util::sync::CancellationToken,
        refill: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F, Fut>
    where
        F: Fn() -> Fut + Clone,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        let (setup, first_fill) = (self.clone(), refill.clone());
        let prepared = self.prepare(&what, cancel, move || {
            let (nats, refill) = (setup.clone(), first_fill.clone());
            async move {
                if let Some(stream) = &stream {
                    nats.reconcile_stream(stream).await?;
                }
                nats.reconcile_bucket(&bucket).await?;
                refill().await
            }
        });
        let kept = self.keep_bucket(bucket, cancel.clone(), refill);
        async move {
            prepared.await?;
            kept.await
        }
    }

    /// For the bucket's owner, after its start-up step: every few seconds, checks that NATS still
    /// has `spec`'s bucket as this process last saw it. When it was lost (missing, or made again
    /// empty, by a reader, since), makes it again and calls `refill` to publish its whole
    /// content once more, so readers' copies are whole again without a restart. Runs until
    /// `cancel` fires. The service is not ready until the first look (the bucket as the start-up
    /// step left it); the step counts from the call on, so call it before spawning.
    pub fn keep_bucket<F, Fut>(
        &self,
        spec: BucketSpec,
        cancel: tokio_util::sync::CancellationToken,
        refill: F,
    ) -> impl Future<Output = anyhow::Result<()>> + use<F, Fut>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        let what = format!("KV bucket {}", spec.name);
        let first_look = self.readiness.register(format!("keeper of {what}"));
        let nats = self.clone();
        async move { nats.keep(spec, &what, &cancel, &refill, &first_look).await }
    }

    async fn keep<F, Fut>(
        &self,
        spec: BucketSpec,
        what: &str,
        cancel: &tokio_util::sync::CancellationToken,
        refill: &F,
        first_look: &PendingStep,
    ) -> anyhow::Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = anyhow::Result<String>>,
    {
        let mut known = None;
        let mut pause = Duration::ZERO;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(pause) => pause = BUCKET_CHECK_INTERVAL,
            }
            if !self.is_connected() {
                continue;
            }
            let created = match self.ensure_bucket(&spec).await {
                Ok(store) => store.stream.cached_info().created,
                Err(error) => {
                    tracing::warn!(%what, error = %format!("{error:#}"), "could not check the bucket");
                    continue;
                }
            };
            if known.is_some_and(|known| known != created) {
                match refill().await {
                    Ok(outcome) => {
                        tracing::warn!(%what, %outcome, "the bucket was lost on NATS and made again: its content is published again");
                        self.readiness.record_recovery(&format!(
                            "{what} was lost: its content published again"
                        ));
                    }
                    // Checked again at the next round, as the bucket still looks new.
                    Err(error) => {
                        tracing::warn!(%what, error = %format!("{error:#}"), "could not publish the bucket's content again");
                        continue;
                    }
                }
            }
            known = Some(created);
            first_look.done();
        }
    }

    /// For the stream's owner: every 15 seconds, makes sure `spec`'s stream exists (made again
    /// if NATS lost it) and says on `/metrics` how full it is: `jetstream_stream_bytes`,
    /// `jetstream_stream_messages`, `jetstream_stream_max_bytes` and
    /// `jetstream_stream_fill_ratio` (bytes over the cap; 0 without one), labelled `stream`.
    /// Runs until `cancel` fires.
    pub fn watch_stream(
        &self,
        spec: StreamSpec,
        cancel: tokio_util::sync::CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + use<> {
        let nats = self.clone();
        async move {
            loop {
                if !nats.connected(&cancel).await {
                    return Ok(());
                }
                match nats.ensure_stream(&spec).await {
                    Ok(stream) => record_fill(spec.name, stream.cached_info()),
                    Err(error) => {
                        tracing::warn!(stream = spec.name, error = %format!("{error:#}"), "could not read the stream");
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(STREAM_WATCH_INTERVAL) => {}
                }
            }
        }
    }

    /// For the bucket's owner: as [`Nats::reconcile_stream`], for the bucket's stream.
    pub async fn reconcile_bucket(&self, spec: &BucketSpec) -> anyhow::Result<kv::Store> {
        let store = self.ensure_bucket(spec).await?;
        let config = self.bucket_config(spec);
        let stream = self
            .jetstream
            .get_stream(&config.name)
            .await
            .with_context(|| format!("reading stream {}", config.name))?;
        self.reconcile(stream, config).await?;
        Ok(store)
    }

    /// The configuration an event stream should have (file storage).
    fn stream_config(&self, spec: &StreamSpec) -> stream::Config {
        let settings = &self.jetstream_settings;
        let retention = settings.retention_of(spec.name);
        stream::Config {
            name: self.namespace.stream_name(spec),
            description: Some(spec.description.to_owned()),
            subjects: vec![self.namespace.stream_subjects(spec)],
            storage: stream::StorageType::File,
            num_replicas: settings.replicas.max(1),
            duplicate_window: Duration::from_secs(settings.duplicate_window_seconds),
            max_age: retention
                .max_age_days
                .map_or(Duration::ZERO, |days| Duration::from_secs(days * 24 * 3600)),
            max_bytes: retention.max_bytes.unwrap_or(-1),
            ..Default::default()
        }
    }

    /// The configuration of a KV bucket's stream: the KV conventions, the configured replicas.
    fn bucket_config(&self, spec: &BucketSpec) -> stream::Config {
        let name = self.namespace.bucket_name(spec);
        stream::Config {
            name: format!("KV_{name}"),
            description: Some(spec.description.to_owned()),
            subjects: vec![format!("$KV.{name}.>")],
            max_messages_per_subject: 5,
            discard: stream::DiscardPolicy::New,
            allow_direct: true,
            allow_rollup: true,
            deny_delete: true,
            storage: stream::StorageType::File,
            num_replicas: self.jetstream_settings.replicas.max(1),
            duplicate_window: Duration::from_secs(self.jetstream_settings.duplicate_window_seconds),
            // Reference data is small and kept whole: no size cap (the server's -1).
            max_bytes: -1,
            ..Default::default()
        }
    }

    /// Updates `stream` in place where the reconciled fields differ from `wanted`.
    async fn reconcile(
        &self,
        mut stream: stream::Stream,
        wanted: stream::Config,
    ) -> anyhow::Result<stream::Stream> {
        let current = stream.info().await?.config.clone();
        let updated = stream::Config {
            num_replicas: wanted.num_replicas,
            max_age: wanted.max_age,
            max_bytes: wanted.max_bytes,
            duplicate_window: wanted.duplicate_window,
            ..current.clone()
        };
        let changes: Vec<String> = [
            (
                "replicas",
                current.num_replicas.to_string(),
                updated.num_replicas.to_string(),
            ),
            (
                "max_age",
                format!("{:?}", current.max_age),
                format!("{:?}", updated.max_age),
            ),
            (
                "max_bytes",
                current.max_bytes.to_string(),
                updated.max_bytes.to_string(),
            ),
            (
                "duplicate_window",
                format!("{:?}", current.duplicate_window),
                format!("{:?}", updated.duplicate_window),
            ),
        ]
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| format!("{field} {from} -> {to}"))
        .collect();
        if changes.is_empty() {
            return Ok(stream);
        }
        self.jetstream
            .update_stream(&updated)
            .await
            .with_context(|| {
                format!("updating stream {} ({})", updated.name, changes.join(", "))
            })?;
        tracing::info!(stream = %updated.name, changed = ?changes, "stream updated in place to match the settings");
        self.jetstream
            .get_stream(&updated.name)
            .await
            .with_context(|| format!("reading stream {}", updated.name))
    }
}

/// Sets the fill gauges of stream `name` from its `info`.
#[allow(clippy::cast_precision_loss)] // Byte counts far below 2^52 are exact as f64.
fn record_fill(name: &'static str, info: &stream::Info) {
    let (bytes, cap) = (info.state.bytes as f64, info.config.max_bytes);
    metrics::gauge!("jetstream_stream_bytes", "stream" => name).set(bytes);
    metrics::gauge!("jetstream_stream_messages", "stream" => name).set(info.state.messages as f64);
    metrics::gauge!("jetstream_stream_max_bytes", "stream" => name).set(cap as f64);
    let ratio = if cap > 0 { bytes / cap as f64 } else { 0.0 };
    metrics::gauge!("jetstream_stream_fill_ratio", "stream" => name).set(ratio);
}

/// Credentials and TLS from the settings. Secrets go only into the client, never into a log.
async fn connect_options(settings: &NatsSettings) -> anyhow::Result<async_nats::ConnectOptions> {
    use secrecy::ExposeSecret;

    let auth = &settings.auth;
    let mut options = async_nats::ConnectOptions::new();
    let kinds = [
        auth.user.is_some() || auth.password.is_some(),
        auth.token.is_some(),
        auth.nkey_seed.is_some(),
        auth.credentials_file.is_some(),
    ];
    anyhow::ensure!(
        kinds.iter().filter(|k| **k).count() <= 1,
        "nats.auth: give one of user/password, token, nkey_seed or credentials_file"
    );
    if let Some(user) = &auth.user {
        let password = auth
            .password
            .as_ref()
            .context("nats.auth.user needs nats.auth.password")?;
        options = options.user_and_password(user.clone(), password.expose_secret().to_owned());
    } else if auth.password.is_some() {
        anyhow::bail!("nats.auth.password needs nats.auth.user");
    }
    if let Some(token) = &auth.token {
        options = options.token(token.expose_secret().to_owned());
    }
    if let Some(seed) = &auth.nkey_seed {
        options = options.nkey(seed.expose_secret().to_owned());
    }
    if let Some(path) = &auth.credentials_file {
        options = options
            .credentials_file(path)
            .await
            .with_context(|| format!("reading nats.auth.credentials_file {}", path.display()))?;
    }
    let tls = &settings.tls;
    if let Some(ca) = &tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        (None, None) => {}
        _ => anyhow::bail!("nats.tls: cert_file and key_file go together"),
    }
    let tls_files = tls.ca_file.is_some() || tls.cert_file.is_some();
    if tls.required || tls_files {
        options = options.require_tls(true);
    }
    Ok(options)
}
