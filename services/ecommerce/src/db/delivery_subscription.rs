//! ecommerce's subscription to the delivery service's webhooks: its id and signing secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::delivery_subscription;

const SINGLETON: &str = "delivery";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_subscription)]
pub struct StoredSubscription {
    pub subscription_id: String,
    pub secret: String,
    pub receiver_url: String,
    pub created_at: NaiveDateTime,
}

pub fn stored(conn: &mut DbConnection) -> QueryResult<Option<StoredSubscription>> {
    delivery_subscription::table
        .select(StoredSubscription::as_select())
        .first(conn)
        .optional()
}

/// Stores a new subscription in place of `replacing` (the one found stored, if any), unless
/// another replica stored one meanwhile: then nothing changes and the answer is `false`. Each
/// step is conditional in itself, so two replicas cannot both win, whatever the isolation
/// level (under PostgreSQL's READ COMMITTED a read-then-write would let both through).
pub fn replace(
    conn: &mut DbConnection,
    replacing: Option<&str>,
    subscription_id: &str,
    secret: &str,
    receiver_url: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if let Some(old) = replacing {
        let removed = diesel::delete(
            delivery_subscription::table.filter(delivery_subscription::subscription_id.eq(old)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Ok(false);
        }
    }
    let insert = diesel::insert_into(delivery_subscription::table)
        .values((
            delivery_subscription::singleton.eq(SINGLETON),
            delivery_subscription::subscription_id.eq(subscription_id),
            delivery_subscription::secret.eq(secret),
            delivery_subscription::receiver_url.eq(receiver_url),
            delivery_subscription::created_at.eq(now),
        ))
        .on_conflict(delivery_subscription::singleton)
        .do_nothing();
    let inserted = platform::per_backend!(conn, c => insert.execute(c))?;
    Ok(inserted == 1)
}
