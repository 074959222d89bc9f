//! ecommerce's link to the delivery service: at start-up it registers its webhook receiver
//! there (seed 004 story 9), as a service client with a token it issues to itself, and keeps
//! the signing secret to verify what arrives. Idempotent: a registration that still exists and
//! points at the same URL is kept (and re-enabled if the delivery service disabled it);
//! otherwise a new one replaces it. Retries until the delivery service answers. Replicas that
//! start together may both register; the first to store its registration wins and the others
//! delete theirs, so ecommerce keeps exactly one subscription (and one signing secret).

use std::time::Duration;

use anyhow::{Context, bail};
use platform::auth::{JwtIssuer, Role, TokenSubject};
use platform::db::{Db, DbError, now};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::DeliverySettings;
use crate::db::delivery_subscription::{self, StoredSubscription};

#[derive(Deserialize)]
struct Subscription {
    id: String,
    enabled: bool,
    #[serde(default)]
    secret: Option<String>,
}

pub async fn register_receiver(
    db: Db,
    issuer: JwtIssuer,
    settings: DeliverySettings,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let client = platform::http_client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let link = Link {
        db,
        issuer,
        settings,
        client,
    };
    let mut delay = Duration::from_millis(250);
    loop {
        match link.ensure_registered().await {
            Ok(id) => {
                tracing::info!(subscription = %id, url = %link.settings.receiver_url, "delivery webhooks registered");
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "delivery webhooks not registered yet; retrying");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(10)),
        }
    }
}

struct Link {
    db: Db,
    issuer: JwtIssuer,
    settings: DeliverySettings,
    client: reqwest::Client,
}

impl Link {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.url.trim_end_matches('/'))
    }

    fn token(&self) -> anyhow::Result<String> {
        Ok(self
            .issuer
            .issue(TokenSubject {
                // The identity whose subscriptions hear about the marketplace's deliveries.
                user_id: contracts::deliveries::MARKETPLACE_SUBSCRIBER.to_owned(),
                email: "ecommerce@cargoexpress.internal".to_owned(),
                role: Role::ServiceClient,
                seller_id: None,
                courier_id: None,
                generation: 0,
            })?
            .access_token)
    }

    async fn ensure_registered(&self) -> anyhow::Result<String> {
        let stored = self
            .db
            .run(|conn| Ok::<_, DbError>(delivery_subscription::stored(conn)?))
            .await?;
        let replacing = match stored {
            Some(stored) => {
                if stored.receiver_url == self.settings.receiver_url && self.keep(&stored).await? {
                    return Ok(stored.subscription_id);
                }
                self.remove(&stored.subscription_id).await?;
                Some(stored.subscription_id)
            }
            None => None,
        };
        self.register(replacing).await
    }

    /// Whether the stored subscription still exists (re-enabling it if it was disabled).
    async fn keep(&self, stored: &StoredSubscription) -> anyhow::Result<bool> {
        let path = self.url(&format!(
            "/webhooks/subscriptions/{}",
            stored.subscription_id
        ));
        let response = self
            .client
            .get(&path)
            .bearer_auth(self.token()?)
            .send()
            .await?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(false),
            other => bail!("the delivery service answered {other} for the stored subscription"),
        }
        let subscription: Subscription = response.json().await?;
        if !subscription.enabled {
            self.client
                .patch(&path)
                .bearer_auth(self.token()?)
                .json(&json!({"enabled": true}))
                .send()
                .await?
                .error_for_status()?;
        }
        Ok(true)
    }

    /// Deletes a subscription: one that points at an old receiver URL, or one that lost the
    /// race to another replica's.
    async fn remove(&self, subscription_id: &str) -> anyhow::Result<()> {
        let path = self.url(&format!("/webhooks/subscriptions/{subscription_id}"));
        let response = self
            .client
            .delete(&path)
            .bearer_auth(self.token()?)
            .send()
            .await?;
        if !(response.status().is_success() || response.status() == StatusCode::NOT_FOUND) {
            bail!(
                "the delivery service answered {} to removing the old subscription",
                response.status()
            );
        }
        Ok(())
    }

    /// Registers a new subscription and stores it, unless another replica stored one since
    /// this one found `replacing` stored: then the new one is deleted and the loop keeps theirs.
    async fn register(&self, replacing: Option<String>) -> anyhow::Result<String> {
        let response = self
            .client
            .post(self.url("/webhooks/subscriptions"))
            .bearer_auth(self.token()?)
            .json(&json!({
                "url": self.settings.receiver_url,
                "description": "ecommerce: delivery status of marketplace orders",
            }))
            .send()
            .await?;
        if response.status() != StatusCode::CREATED {
            let status = response.status();
            let detail = response.text().await.unwrap_or_default();
            bail!("the delivery service refused the subscription ({status}): {detail}");
        }
        let created: Subscription = response.json().await?;
        let secret = created
            .secret
            .context("the delivery service sent no secret")?;
        let (id, url) = (created.id.clone(), self.settings.receiver_url.clone());
        let stored = self
            .db
            .write(move |conn| -> Result<bool, DbError> {
                Ok(delivery_subscription::replace(
                    conn,
                    replacing.as_deref(),
                    &id,
                    &secret,
                    &url,
                    now(),
                )?)
            })
            .await;
        match stored {
            Ok(true) => Ok(created.id),
            // Another replica stored its registration first: this one's must not stay behind,
            // signing with a secret nobody keeps.
            lost => {
                self.remove(&created.id).await?;
                match lost {
                    Err(error) => Err(error.into()),
                    _ => bail!("another replica registered first; keeping its subscription"),
                }
            }
        }
    }
}
