//! The portable schema: text ids, BigInt, Timestamp (UTC), the same on SQLite and PostgreSQL.

diesel::table! {
    sellers (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        owner_name -> Nullable<Text>,
        warehouse_address -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    seller_tags (seller_id, tag) {
        seller_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        name -> Text,
        seller_id -> Nullable<Text>,
        courier_id -> Nullable<BigInt>,
        shipping_address -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        token_generation -> BigInt,
        access_change -> Nullable<Text>,
    }
}

diesel::table! {
    user_changes (id) {
        id -> BigInt,
        user_id -> Text,
        action -> Text,
        details -> Text,
        changed_by -> Text,
        changed_by_email -> Nullable<Text>,
        changed_by_role -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        seller_id -> Text,
        sku -> Text,
        name -> Text,
        description -> Text,
        price_cents -> BigInt,
        stock -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    portfolios (id) {
        id -> Text,
        seller_id -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    portfolio_products (portfolio_id, product_id) {
        portfolio_id -> Text,
        product_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        purchase_id -> Text,
        buyer_id -> Text,
        seller_id -> Text,
        status -> Text,
        delivery_name -> Text,
        delivery_address -> Text,
        origin_address -> Text,
        total_cents -> BigInt,
        tracking_number -> Nullable<Text>,
        delivery_status -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivery_status_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    order_lines (order_id, product_id) {
        order_id -> Text,
        product_id -> Text,
        sku -> Text,
        name -> Text,
        unit_price_cents -> BigInt,
        quantity -> BigInt,
    }
}

diesel::table! {
    order_status_history (id) {
        id -> BigInt,
        order_id -> Text,
        status -> Text,
        changed_by -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request -> Text,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    order_statistics (status) {
        status -> Text,
        orders -> BigInt,
        amount_cents -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    delivery_subscription (singleton) {
        singleton -> Text,
        subscription_id -> Text,
        secret -> Text,
        receiver_url -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (scope, subject) {
        scope -> Text,
        subject -> Text,
        failures -> BigInt,
        blocked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    seller_changes (id) {
        id -> BigInt,
        seller_id -> Text,
        changed_by -> Text,
        changed_by_email -> Nullable<Text>,
        changed_by_role -> Nullable<Text>,
        changes -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    ally_credentials (ally_id, version) {
        ally_id -> Text,
        version -> BigInt,
        action -> Text,
        key_id -> Nullable<Text>,
        nonce -> Nullable<Binary>,
        ciphertext -> Nullable<Binary>,
        changed_by -> Text,
        changed_by_email -> Text,
        changed_by_role -> Text,
        changed_at -> Timestamp,
        re_encrypted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(seller_tags -> sellers (seller_id));
diesel::joinable!(ally_credentials -> sellers (ally_id));
diesel::joinable!(seller_changes -> sellers (seller_id));
diesel::joinable!(users -> sellers (seller_id));
diesel::joinable!(user_changes -> users (user_id));
diesel::joinable!(products -> sellers (seller_id));
diesel::joinable!(portfolios -> sellers (seller_id));
diesel::joinable!(portfolio_products -> portfolios (portfolio_id));
diesel::joinable!(portfolio_products -> products (product_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_status_history -> orders (order_id));

diesel::allow_tables_to_appear_in_same_query!(
    sellers,
    seller_tags,
    seller_changes,
    ally_credentials,
    users,
    products,
    portfolios,
    portfolio_products,
    orders,
    order_lines,
    order_status_history,
);
