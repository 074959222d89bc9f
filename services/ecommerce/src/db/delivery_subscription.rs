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

/// Replaces the stored subscription.
pub fn save(
    conn: &mut DbConnection,
    subscription_id: &str,
    secret: &str,
    receiver_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(delivery_subscription::table).execute(conn)?;
    diesel::insert_into(delivery_subscription::table)
        .values((
            delivery_subscription::singleton.eq(SINGLETON),
            delivery_subscription::subscription_id.eq(subscription_id),
            delivery_subscription::secret.eq(secret),
            delivery_subscription::receiver_url.eq(receiver_url),
            delivery_subscription::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
