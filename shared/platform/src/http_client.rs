//! Outgoing HTTP: every reqwest client of the platform starts here, so TLS uses the same
//! crypto provider (ring, already used by NATS) and every client has timeouts.

use std::sync::Once;
use std::time::Duration;

static CRYPTO_PROVIDER: Once = Once::new();

/// A client builder with HTTPS support and a connect timeout; callers add their own total
/// timeout for what they call.
pub fn builder() -> reqwest::ClientBuilder {
    CRYPTO_PROVIDER.call_once(|| {
        // Fails only if another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().connect_timeout(Duration::from_secs(5))
}
