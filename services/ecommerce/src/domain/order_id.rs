//! An order's id, typed so that it cannot be passed where the id of the user who changes the
//! order is expected (both are text). JSON and the database see the text itself.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, AsExpression, FromSqlRow)]
#[serde(transparent)]
#[diesel(sql_type = Text)]
pub struct OrderId(String);

impl OrderId {
    /// A new order's id: a UUIDv7, so ids sort in creation order.
    pub fn generate() -> Self {
        Self(platform::db::new_id())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An id as a request or a message names it; an id no order has is simply not found.
impl From<String> for OrderId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<OrderId> for String {
    fn from(id: OrderId) -> Self {
        id.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<DB> ToSql<Text, DB> for OrderId
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_str().to_sql(out)
    }
}

impl<DB> FromSql<Text, DB> for OrderId
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_sees_the_text_itself() {
        let id = OrderId::from("0193a1b2-0000-7000-8000-00000000d0c5".to_owned());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""0193a1b2-0000-7000-8000-00000000d0c5""#);
        assert_eq!(serde_json::from_str::<OrderId>(&json).unwrap(), id);
        assert_eq!(id.to_string(), id.as_str());
    }
}
