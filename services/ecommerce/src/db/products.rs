use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use crate::domain::SellerId;

use super::schema::products;
use super::{PageRequest, new_id, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: String,
    pub seller_id: SellerId,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i64,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub stock: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub seller_id: Option<SellerId>,
}

pub fn insert(
    conn: &mut DbConnection,
    seller_id: &SellerId,
    new: &NewProduct,
) -> QueryResult<Product> {
    let now = now();
    let id = new_id();
    diesel::insert_into(products::table)
        .values((
            products::id.eq(&id),
            products::seller_id.eq(seller_id),
            products::sku.eq(&new.sku),
            products::name.eq(&new.name),
            products::description.eq(&new.description),
            products::price_cents.eq(new.price_cents),
            products::stock.eq(new.stock),
            products::created_at.eq(now),
            products::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Product> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &ProductFilter,
    page: PageRequest,
) -> QueryResult<(Vec<Product>, i64)> {
    let filtered = || {
        let mut query = products::table.into_boxed();
        if let Some(seller_id) = &filter.seller_id {
            query = query.filter(products::seller_id.eq(seller_id.clone()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((products::created_at, products::id))
        .limit(page.limit)
        .offset(page.offset)
        .select(Product::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Every product, for publishing the whole catalog.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Product>> {
    products::table
        .order(products::sku)
        .select(Product::as_select())
        .load(conn)
}

/// Products among `ids` that belong to `seller_id`, in the order of `ids`.
pub fn owned_by(
    conn: &mut DbConnection,
    seller_id: &SellerId,
    ids: &[String],
) -> QueryResult<Vec<Product>> {
    let found: Vec<Product> = products::table
        .filter(products::seller_id.eq(seller_id))
        .filter(products::id.eq_any(ids))
        .select(Product::as_select())
        .load(conn)?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|p| &p.id == id).cloned())
        .collect())
}

pub fn of_seller(conn: &mut DbConnection, seller_id: &SellerId) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::seller_id.eq(seller_id))
        .select(Product::as_select())
        .load(conn)
}

pub fn update(conn: &mut DbConnection, id: &str, changes: &ProductChanges) -> QueryResult<Product> {
    // One statement: the time of the change, plus whichever fields changed.
    let updated = diesel::update(products::table.find(id))
        .set((products::updated_at.eq(now()), changes))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    find(conn, id)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    match diesel::delete(products::table.find(id)).execute(conn)? {
        0 => Err(diesel::result::Error::NotFound),
        _ => Ok(()),
    }
}
