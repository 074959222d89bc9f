//! What every status enum (`OrderStatus`, `DeliveryStatus`) derives besides its own derives:
//! with feature `diesel`, a `Text` SQL type (the `ToSql`/`FromSql` impls are in `sql`); with
//! feature `openapi`, a schema described by the given text.

/// Declares a status enum with the feature-gated derives above; `$description` describes its
/// OpenAPI schema.
macro_rules! status_enum {
    (
        $(#[doc = $doc:literal])*
        #[schema_description = $description:literal]
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($body:tt)* }
    ) => {
        $(#[doc = $doc])*
        $(#[$meta])*
        #[cfg_attr(
            feature = "diesel",
            derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
            diesel(sql_type = diesel::sql_types::Text)
        )]
        #[cfg_attr(
            feature = "openapi",
            derive(utoipa::ToSchema),
            schema(description = $description)
        )]
        $vis enum $name { $($body)* }
    };
}

#[cfg(all(test, feature = "openapi"))]
mod tests {
    use utoipa::PartialSchema;

    use crate::deliveries::DeliveryStatus;
    use crate::orders::OrderStatus;

    #[test]
    fn a_status_schema_has_its_description_and_the_serde_names() {
        let orders = serde_json::to_value(OrderStatus::schema()).unwrap();
        assert_eq!(
            orders["description"],
            "An order's status, as the `status` filter takes it."
        );
        assert_eq!(orders["enum"][0], "created");
        let deliveries = serde_json::to_value(DeliveryStatus::schema()).unwrap();
        assert_eq!(
            deliveries["description"],
            "A delivery's status, as the `status` filter takes it."
        );
        assert_eq!(deliveries["enum"][0], "READY_FOR_PICK_UP");
    }
}
