//! A webhook subscriber for tests and benchmarks: an HTTP server on a free loopback port that
//! records every request and answers as scripted (a status, optionally `Retry-After`, optionally
//! after a delay or held until the test releases it), then with 204 once the script runs out.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names are lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How to answer one request.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub retry_after_seconds: Option<u64>,
    pub delay: Duration,
    /// Answered only once [`WebhookReceiver::release_held`] is called: the sender's request
    /// stays in flight for as long as the test needs.
    pub held: bool,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after_seconds: None,
            delay: Duration::ZERO,
            held: false,
        }
    }

    pub fn retry_after(status: u16, seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(seconds),
            ..Self::status(status)
        }
    }

    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::status(204)
        }
    }

    /// 204 once the test releases it.
    pub fn held() -> Self {
        Self {
            held: true,
            ..Self::status(204)
        }
    }
}

struct Shared {
    received: Mutex<Vec<Received>>,
    /// When each request arrived, before its scripted delay.
    arrivals: Mutex<Vec<Instant>>,
    script: Mutex<VecDeque<Reply>>,
    /// Requests waiting for their release, and the release itself.
    holding: AtomicUsize,
    released: tokio::sync::watch::Sender<bool>,
}

pub struct WebhookReceiver {
    url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl WebhookReceiver {
    /// Listens on 127.0.0.1; messages go to [`WebhookReceiver::url`].
    pub fn start() -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            received: Mutex::default(),
            arrivals: Mutex::default(),
            script: Mutex::default(),
            holding: AtomicUsize::new(0),
            released: tokio::sync::watch::Sender::new(false),
        });
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr()?.port());
        let state = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(receive))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url,
            shared,
            handle,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next answers, in order; after them every request gets 204.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        if let Ok(mut script) = self.shared.script.lock() {
            script.extend(replies);
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// When each request arrived (answered or still waiting for its scripted delay).
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared
            .arrivals
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `count` requests arrived (answered or not) or `timeout` passed.
    pub async fn wait_for_arrivals(&self, count: usize, timeout: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.arrivals().len();
            if arrived >= count || tokio::time::Instant::now() >= deadline {
                return arrived;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until `count` requests are held unanswered or `timeout` passed; returns how many
    /// are held.
    pub async fn wait_for_held(&self, count: usize, timeout: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let holding = self.shared.holding.load(Ordering::Acquire);
            if holding >= count || tokio::time::Instant::now() >= deadline {
                return holding;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Answers every held request, and from now on answers held replies at once.
    pub fn release_held(&self) {
        self.shared.released.send_replace(true);
    }

    /// How many requests were answered so far.
    pub fn count(&self) -> usize {
        self.shared.received.lock().map_or(0, |r| r.len())
    }

    /// Waits until at least `count` requests arrived or `timeout` passed; returns them all.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || tokio::time::Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if let Ok(mut arrivals) = shared.arrivals.lock() {
        arrivals.push(Instant::now());
    }
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let reply = shared
        .script
        .lock()
        .ok()
        .and_then(|mut script| script.pop_front())
        .unwrap_or(Reply::status(204));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.held {
        let mut released = shared.released.subscribe();
        shared.holding.fetch_add(1, Ordering::AcqRel);
        // The sender lives as long as the receiver, so the wait only ends by the release.
        let _ = released.wait_for(|released| *released).await;
        shared.holding.fetch_sub(1, Ordering::AcqRel);
    }
    if let Ok(mut received) = shared.received.lock() {
        received.push(Received {
            headers,
            body: body.to_vec(),
        });
    }
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = reply.retry_after_seconds {
        response.insert_header(("retry-after", seconds.to_string()));
    }
    response.finish()
}
