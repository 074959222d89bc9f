//! The portable schema: text ids, BigInt, Timestamp (UTC), the same on SQLite and PostgreSQL.

diesel::table! {
    couriers (id) {
        id -> BigInt,
        name -> Text,
        active -> Bool,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        tracking_number -> Text,
        foreign_order_id -> Text,
        courier_id -> BigInt,
        status -> Text,
        origin_address -> Text,
        destination_name -> Text,
        destination_address -> Text,
        last_tick -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    delivery_products (delivery_id, position) {
        delivery_id -> Text,
        position -> Integer,
        sku -> Text,
        name -> Text,
        quantity -> BigInt,
    }
}

diesel::table! {
    delivery_history (id) {
        id -> BigInt,
        delivery_id -> Text,
        status -> Text,
        tick -> Nullable<BigInt>,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        owner_id -> Text,
        url -> Text,
        statuses -> Text,
        description -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        all_deliveries -> Bool,
    }
}

diesel::table! {
    webhook_messages (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        delivery_id -> Text,
        status -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        message_id -> Text,
        subscription_id -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::joinable!(deliveries -> couriers (courier_id));
diesel::joinable!(delivery_products -> deliveries (delivery_id));
diesel::joinable!(webhook_messages -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_attempts -> webhook_messages (message_id));

diesel::allow_tables_to_appear_in_same_query!(
    couriers,
    deliveries,
    delivery_products,
    delivery_history,
    webhook_subscriptions,
    webhook_messages,
    webhook_attempts,
);
