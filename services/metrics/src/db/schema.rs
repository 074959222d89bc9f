// The metrics schema, as created by `migrations/`.

diesel::table! {
    courier_hourly (hour, courier_id) {
        hour -> Timestamp,
        courier_id -> BigInt,
        reports -> BigInt,
        units -> BigInt,
        revenue_cents -> BigInt,
        lag_ms_sum -> BigInt,
        lag_ms_max -> BigInt,
    }
}

diesel::table! {
    product_hourly (hour, sku) {
        hour -> Timestamp,
        sku -> Text,
        units -> BigInt,
        revenue_cents -> BigInt,
    }
}

diesel::table! {
    outcome_hourly (hour, courier_id) {
        hour -> Timestamp,
        courier_id -> BigInt,
        delivered -> BigInt,
        not_delivered -> BigInt,
    }
}

diesel::table! {
    orders (order_id) {
        order_id -> Text,
        status -> Text,
        status_changed_at -> Timestamp,
        created_at -> Nullable<Timestamp>,
        dispatched_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    couriers (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    products (sku) {
        sku -> Text,
        name -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    courier_hourly,
    product_hourly,
    outcome_hourly,
    couriers,
    products
);
