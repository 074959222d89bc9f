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

diesel::joinable!(seller_tags -> sellers (seller_id));
diesel::joinable!(users -> sellers (seller_id));
diesel::joinable!(products -> sellers (seller_id));
diesel::joinable!(portfolios -> sellers (seller_id));
diesel::joinable!(portfolio_products -> portfolios (portfolio_id));
diesel::joinable!(portfolio_products -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    sellers,
    seller_tags,
    users,
    products,
    portfolios,
    portfolio_products
);
