//! Diesel mappings of the statuses and states (feature `diesel`): a status is stored as the text of its
//! `as_str`, so a row holds the enum itself. A text no status has fails the query with a
//! deserialization error (an internal error at the HTTP edge), never a panic. The impls are
//! generic over the backend, so they serve SQLite, PostgreSQL and the services' `MultiBackend`.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::deliveries::{DeliveryStatus, WebhookMessageState};
use crate::orders::OrderStatus;

macro_rules! status_as_text {
    ($status:ty, $what:literal) => {
        impl<DB> ToSql<Text, DB> for $status
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> FromSql<Text, DB> for $status
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                <$status>::parse(&text).ok_or_else(|| {
                    format!("the database holds an unknown {} {text:?}", $what).into()
                })
            }
        }
    };
}

status_as_text!(OrderStatus, "order status");
status_as_text!(DeliveryStatus, "delivery status");
status_as_text!(WebhookMessageState, "webhook message state");

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::result::Error;
    use diesel::{IntoSql, SqliteConnection};

    use super::*;

    fn connection() -> SqliteConnection {
        SqliteConnection::establish(":memory:").unwrap()
    }

    #[test]
    fn statuses_are_stored_as_their_names_and_read_back() {
        let conn = &mut connection();
        for status in OrderStatus::ALL {
            let stored: String = diesel::select(status.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(stored, status.as_str());
            let read: OrderStatus = diesel::select(stored.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(read, status);
        }
        for status in DeliveryStatus::ALL {
            let read: DeliveryStatus = diesel::select(status.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(read, status);
        }
        for state in WebhookMessageState::ALL {
            let stored: String = diesel::select(state.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(stored, state.as_str());
            let read: WebhookMessageState = diesel::select(stored.into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(read, state);
        }
    }

    #[test]
    fn an_unknown_stored_status_is_a_query_error() {
        let read = diesel::select("inprocess".into_sql::<Text>())
            .get_result::<OrderStatus>(&mut connection());
        let Err(Error::DeserializationError(error)) = read else {
            panic!("expected a deserialization error, got {read:?}");
        };
        // Diesel wraps it in the error of the field; the cause names the text.
        assert_eq!(
            error.source().unwrap().to_string(),
            r#"the database holds an unknown order status "inprocess""#
        );
    }
}
