-- Sellers (the "establishments" of seed 001), their users, products and portfolios.
CREATE TABLE sellers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_name TEXT,
    -- Required before any of the seller's products can be sold.
    warehouse_address TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE seller_tags (
    seller_id TEXT NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (seller_id, tag)
);
CREATE INDEX seller_tags_by_tag ON seller_tags (tag);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Stored lower-cased, so uniqueness ignores case.
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    seller_id TEXT REFERENCES sellers (id) ON DELETE CASCADE,
    courier_id BIGINT,
    shipping_address TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_by_seller ON users (seller_id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_by_seller ON products (seller_id);

CREATE TABLE portfolios (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (seller_id, name)
);

CREATE TABLE portfolio_products (
    portfolio_id TEXT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (portfolio_id, product_id)
);

-- The default seller and the 10 products of seed 000, present from the first start.
INSERT INTO sellers (id, name, description, owner_name, warehouse_address, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Cargo Express', 'Small everyday items shipped by Cargo Express itself', 'Cargo Express S.A.S.',
        'Cargo Express central warehouse, Calle 13 # 68-90, Bogotá', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO seller_tags (seller_id, tag) VALUES ('00000000-0000-7000-8000-000000000001', 'accessories'), ('00000000-0000-7000-8000-000000000001', 'electronics');
INSERT INTO products (id, seller_id, sku, name, description, price_cents, stock, created_at, updated_at) VALUES
    ('00000000-0000-7000-8000-000000001001', '00000000-0000-7000-8000-000000000001', 'pk0001', 'Moneda', 'Moneda', 100, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001002', '00000000-0000-7000-8000-000000000001', 'pk0002', 'Estuche para gafas', 'Estuche para gafas', 800, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001003', '00000000-0000-7000-8000-000000000001', 'pk0003', 'Pequeño espejo de bolsillo', 'Pequeño espejo de bolsillo', 500, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001004', '00000000-0000-7000-8000-000000000001', 'pk0004', 'Pendrive', 'Pendrive', 1200, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001005', '00000000-0000-7000-8000-000000000001', 'pk0005', 'Tarjeta SIM', 'Tarjeta SIM', 300, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001006', '00000000-0000-7000-8000-000000000001', 'pk0006', 'Adaptador de corriente', 'Adaptador de corriente', 1000, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001007', '00000000-0000-7000-8000-000000000001', 'pk0007', 'Tijeras pequeñas', 'Tijeras pequeñas', 400, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001008', '00000000-0000-7000-8000-000000000001', 'pk0008', 'Pila de botón', 'Pila de botón', 250, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001009', '00000000-0000-7000-8000-000000000001', 'pk0009', 'Goma de borrar', 'Goma de borrar', 50, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('00000000-0000-7000-8000-000000001010', '00000000-0000-7000-8000-000000000001', 'pk0010', 'Clip sujetapapeles', 'Clip sujetapapeles', 20, 1000, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
