//! Where passwords are hashed and checked: a few threads of their own, one per core by default.
//!
//! Argon2 is slow and memory-hungry on purpose (19 MiB per hash). Run on tokio's blocking pool
//! (up to 512 threads), a burst of log-ins spread that memory over hundreds of threads whose
//! allocator arenas kept it: ecommerce grew from 20-30 MB to 250-300 MB. Here at most `threads`
//! hashes run at once and the rest wait in a queue, in order. The cores are busy either way, so
//! the log-in rate does not drop; each thread reuses its memory while work is queued and gives
//! it back to the kernel after a second without work. Every check goes through here, the
//! stand-in check of an unknown email too, so none of them can escape the bound.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;

use super::password::{PasswordHash, WorkMemory, hash_with, verify_with};

/// How long a hashing thread without work keeps its memory before giving it back.
const IDLE_RELEASE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HashingSettings {
    /// Threads that hash passwords; 0 means one per core.
    pub threads: usize,
    pub strategy: HashingStrategy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashingStrategy {
    /// `threads` threads of their own; their memory is given back when they are idle.
    #[default]
    Pool,
    /// Every hash on tokio's blocking pool with Argon2's own allocation: the former way, whose
    /// memory grows with bursts. Kept only as the reference the log-in benchmark measures.
    UnboundedBlocking,
}

/// Hashes and checks passwords. Cheap to clone; the threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    strategy: Strategy,
}

#[derive(Clone)]
enum Strategy {
    Pool(Arc<Pool>),
    UnboundedBlocking,
}

impl Passwords {
    pub fn new(settings: &HashingSettings) -> anyhow::Result<Self> {
        let strategy = match settings.strategy {
            HashingStrategy::Pool => {
                let threads = match settings.threads {
                    0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                    n => n,
                };
                Strategy::Pool(Arc::new(Pool::start(threads, IDLE_RELEASE)?))
            }
            HashingStrategy::UnboundedBlocking => Strategy::UnboundedBlocking,
        };
        Ok(Self { strategy })
    }

    /// Hashes `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> anyhow::Result<PasswordHash> {
        self.run(move |memory| hash_with(memory, &password)).await?
    }

    /// Whether `password` matches `hash`; with no hash (an unknown user) it does the same work
    /// and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        self.run(move |memory| verify_with(memory, &password, hash.as_deref()))
            .await
            .unwrap_or(false)
    }

    async fn run<T, F>(&self, job: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut WorkMemory) -> T + Send + 'static,
        T: Send + 'static,
    {
        match &self.strategy {
            Strategy::Pool(pool) => pool.run(job).await,
            Strategy::UnboundedBlocking => {
                Ok(tokio::task::spawn_blocking(move || job(&mut WorkMemory::ordinary())).await?)
            }
        }
    }
}

type Job = Box<dyn FnOnce(&mut WorkMemory) + Send>;

/// The threads and their queue. Dropping it lets the threads finish the queue and stop.
struct Pool {
    queue: Arc<Queue>,
}

#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    work_arrived: Condvar,
}

#[derive(Default)]
struct QueueState {
    waiting: VecDeque<Job>,
    closed: bool,
}

impl Pool {
    fn start(threads: usize, idle_release: Duration) -> anyhow::Result<Self> {
        let queue = Arc::new(Queue::default());
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hashing-{n}"))
                .spawn(move || queue.work(idle_release))?;
        }
        Ok(Self { queue })
    }

    async fn run<T, F>(&self, job: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut WorkMemory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue.push(Box::new(move |memory| {
            let _ = answer.send(job(memory));
        }))?;
        answered
            .await
            .map_err(|_| anyhow::anyhow!("the password hashing job failed"))
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut state) = self.queue.lock() {
            state.closed = true;
        }
        self.queue.work_arrived.notify_all();
    }
}

impl Queue {
    fn lock(&self) -> anyhow::Result<MutexGuard<'_, QueueState>> {
        self.state
            .lock()
            .map_err(|_| anyhow::anyhow!("the password hashing queue is poisoned"))
    }

    fn push(&self, job: Job) -> anyhow::Result<()> {
        let waiting = {
            let mut state = self.lock()?;
            state.waiting.push_back(job);
            state.waiting.len()
        };
        metrics::gauge!("password_hashing_waiting").set(waiting as f64);
        self.work_arrived.notify_one();
        Ok(())
    }

    /// A hashing thread: takes jobs in order until the pool is dropped and the queue is empty.
    fn work(&self, idle_release: Duration) {
        let mut memory = WorkMemory::returnable();
        while let Some(job) = self.next(&mut memory, idle_release) {
            // A job that panics loses its answer (its caller sees an error), not the thread.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
        }
    }

    /// The next job, waiting for one; gives `memory` back after `idle_release` without work.
    fn next(&self, memory: &mut WorkMemory, idle_release: Duration) -> Option<Job> {
        let mut state = self.lock().ok()?;
        loop {
            if let Some(job) = state.waiting.pop_front() {
                metrics::gauge!("password_hashing_waiting").set(state.waiting.len() as f64);
                return Some(job);
            }
            if state.closed {
                return None;
            }
            if !memory.is_held() {
                state = self.work_arrived.wait(state).ok()?;
                continue;
            }
            let (woken, wait) = self.work_arrived.wait_timeout(state, idle_release).ok()?;
            state = woken;
            if wait.timed_out() && state.waiting.is_empty() {
                // Unmapping takes a moment; submitters need not wait for it.
                drop(state);
                memory.release();
                state = self.lock().ok()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use futures_util::future::join_all;

    use super::*;

    fn pool(threads: usize, idle_release: Duration) -> Passwords {
        let pool = Pool::start(threads, idle_release).unwrap();
        Passwords {
            strategy: Strategy::Pool(Arc::new(pool)),
        }
    }

    #[tokio::test]
    async fn at_most_the_pool_threads_hash_at_once() {
        let passwords = pool(2, IDLE_RELEASE);
        let hash = passwords.hash("a passphrase".to_owned()).await.unwrap().0;
        let checks = (0..24).map(|_| {
            let (passwords, hash) = (passwords.clone(), hash.clone());
            async move {
                passwords
                    .run(move |memory| {
                        assert!(verify_with(memory, "a passphrase", Some(&hash)));
                        std::thread::current().id()
                    })
                    .await
                    .unwrap()
            }
        });
        let threads: HashSet<_> = join_all(checks).await.into_iter().collect();
        assert!(threads.len() <= 2, "{} threads hashed", threads.len());
    }

    #[tokio::test]
    async fn unknown_emails_are_checked_on_the_pool_too_and_never_verify() {
        let passwords = pool(1, IDLE_RELEASE);
        assert!(!passwords.verify("anything".to_owned(), None).await);
        let worker = passwords.run(|_| std::thread::current().name().map(str::to_owned));
        assert_eq!(worker.await.unwrap().as_deref(), Some("password-hashing-0"));
    }

    #[tokio::test]
    async fn an_idle_thread_gives_its_memory_back() {
        let passwords = pool(1, Duration::from_millis(100));
        // Both queued at once: the check runs straight after the hash, with work waiting.
        let (hashed, held) = tokio::join!(
            passwords.hash("a passphrase".to_owned()),
            passwords.run(|memory| memory.is_held())
        );
        hashed.unwrap();
        assert!(held.unwrap(), "kept while work keeps coming");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let held = passwords.run(|memory| memory.is_held()).await.unwrap();
        assert!(!held, "given back after a while without work");
    }

    #[tokio::test]
    async fn the_threads_stop_when_the_last_handle_is_dropped() {
        let queue = {
            let pool = Pool::start(2, IDLE_RELEASE).unwrap();
            let queue = pool.queue.clone();
            pool.run(|_| ()).await.unwrap();
            queue
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&queue) > 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "threads still hold the queue"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
