//! Types and rules of the marketplace, with no I/O: parse, don't validate. A value of one of
//! these types is valid by construction; every parse error names the rule that was broken,
//! and handlers attach the field name (`FieldResult::field`).

pub mod ally_credentials;
pub mod demo_accounts;
mod email;
mod ids;
mod money;
pub mod order_status;
mod password;
mod quantity;
pub mod seller_change;
mod sku;
mod text;

pub use ally_credentials::AllyCredentials;
pub use email::Email;
pub use ids::{OrderId, SellerId};
pub use money::Price;
pub use password::NewPassword;
pub use quantity::Quantity;

pub use platform::text::{Address, BoundedText, Description, Name};
pub use sku::Sku;
pub use text::{Stock, Tags};
