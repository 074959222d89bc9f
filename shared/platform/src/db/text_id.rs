//! Ids stored as text, typed per kind of thing.

/// Declares `$name`, the id of one kind of thing: text in the database and in JSON, but a type
/// of its own in Rust, so that an order's id cannot be passed where a seller's is expected.
/// New ids are UUIDv7 ([`crate::db::new_id`]); any text parses (an id no row has is simply not
/// found). The calling crate needs `diesel` and `serde`, as every service with a database has.
///
/// ```ignore
/// platform::text_id! {
///     /// An order's id.
///     OrderId
/// }
/// ```
#[macro_export]
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            /// A new id: a UUIDv7, so ids sort in creation order.
            pub fn generate() -> Self {
                Self($crate::db::new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                String::from_sql(bytes).map(Self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_id! {
        /// An id for the test.
        ThingId
    }

    #[test]
    fn json_sees_the_text_itself() {
        let id = ThingId::from("0193a1b2-0000-7000-8000-00000000d0c5".to_owned());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""0193a1b2-0000-7000-8000-00000000d0c5""#);
        assert_eq!(serde_json::from_str::<ThingId>(&json).unwrap(), id);
        assert_eq!(id.to_string(), id.as_str());
        assert_ne!(ThingId::generate(), ThingId::generate());
    }
}
