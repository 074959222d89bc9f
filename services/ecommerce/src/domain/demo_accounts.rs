//! The accounts of the quick start and the seed's fleet: data only, listed in the README. The
//! settings refuse these passwords in production and `accounts` creates them in demo mode, so
//! both read them here.

use platform::auth::Role;

/// The seller created by the first migration, owner of the 10 seed products.
pub const DEFAULT_SELLER_ID: &str = "00000000-0000-7000-8000-000000000001";

pub struct DemoAccount {
    pub email: &'static str,
    pub password: &'static str,
    pub role: Role,
    pub name: &'static str,
    pub courier_id: Option<i64>,
    pub shipping_address: Option<&'static str>,
}

/// Listed in the README. Public, hence refused in production.
pub const DEMO_ACCOUNTS: [DemoAccount; 7] = [
    DemoAccount {
        email: "admin@cargoexpress.test",
        password: "admin-demo-2026",
        role: Role::MarketplaceAdmin,
        name: "Marketplace Admin",
        courier_id: None,
        shipping_address: None,
    },
    DemoAccount {
        email: "seller@cargoexpress.test",
        password: "seller-demo-2026",
        role: Role::SellerUser,
        name: "Cargo Express Seller",
        courier_id: None,
        shipping_address: None,
    },
    DemoAccount {
        email: "buyer@cargoexpress.test",
        password: "buyer-demo-2026",
        role: Role::MarketplaceUser,
        name: "Bea Buyer",
        courier_id: None,
        shipping_address: Some("Carrera 7 # 32-16, Bogotá"),
    },
    DemoAccount {
        email: "courier101@cargoexpress.test",
        password: DEMO_COURIER_PASSWORD,
        role: Role::Courier,
        name: "María López",
        courier_id: Some(101),
        shipping_address: None,
    },
    DemoAccount {
        email: "ops@cargoexpress.test",
        password: "ops-demo-2026",
        role: Role::OperationsViewer,
        name: "Operations Viewer",
        courier_id: None,
        shipping_address: None,
    },
    DemoAccount {
        email: "delivery-service@cargoexpress.test",
        password: "service-demo-2026",
        role: Role::ServiceClient,
        name: "Delivery service",
        courier_id: None,
        shipping_address: None,
    },
    DemoAccount {
        email: "support@cargoexpress.test",
        password: "support-demo-2026",
        role: Role::Support,
        name: "Support Engineer",
        courier_id: None,
        shipping_address: None,
    },
];

/// The fleet of seed 000; demo mode gives each courier an account (`courier<id>@...`, with
/// courier 101's password) so the courier simulator can report as any of them.
pub const DEMO_FLEET: [(i64, &str); 10] = [
    (101, "María López"),
    (102, "Carlos García"),
    (103, "Ana Fernández"),
    (104, "Juan Martínez"),
    (105, "Laura Sánchez"),
    (106, "Pedro Gómez"),
    (107, "Elena Rodríguez"),
    (108, "Jorge Pérez"),
    (109, "Sofía Morales"),
    (110, "Daniel Castillo"),
];

pub const DEMO_COURIER_PASSWORD: &str = "courier-demo-2026";

/// The demo email of courier `id`.
pub fn demo_courier_email(id: i64) -> String {
    format!("courier{id}@cargoexpress.test")
}
