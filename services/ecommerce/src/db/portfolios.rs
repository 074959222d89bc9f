use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use crate::domain::SellerId;

use super::schema::{portfolio_products, portfolios, products};
use super::{PageRequest, new_id, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = portfolios)]
pub struct PortfolioRow {
    pub id: String,
    pub seller_id: SellerId,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A portfolio with the ids and SKUs of its products, in the seller's chosen order.
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub row: PortfolioRow,
    pub products: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct NewPortfolio {
    pub name: String,
    pub description: String,
    pub product_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = portfolios)]
pub struct PortfolioChanges {
    pub name: Option<String>,
    pub description: Option<String>,
}

pub fn insert(
    conn: &mut DbConnection,
    seller_id: &SellerId,
    new: &NewPortfolio,
) -> QueryResult<Portfolio> {
    let now = now();
    let id = new_id();
    diesel::insert_into(portfolios::table)
        .values((
            portfolios::id.eq(&id),
            portfolios::seller_id.eq(seller_id),
            portfolios::name.eq(&new.name),
            portfolios::description.eq(&new.description),
            portfolios::created_at.eq(now),
            portfolios::updated_at.eq(now),
        ))
        .execute(conn)?;
    replace_products(conn, &id, &new.product_ids)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Portfolio> {
    let row = portfolios::table
        .find(id)
        .select(PortfolioRow::as_select())
        .first(conn)?;
    let products = portfolio_products::table
        .inner_join(products::table)
        .filter(portfolio_products::portfolio_id.eq(id))
        .order(portfolio_products::position)
        .select((products::id, products::sku))
        .load(conn)?;
    Ok(Portfolio { row, products })
}

/// Portfolios, of one seller or of all.
pub fn list(
    conn: &mut DbConnection,
    seller_id: Option<&SellerId>,
    page: PageRequest,
) -> QueryResult<(Vec<Portfolio>, i64)> {
    let filtered = || {
        let mut query = portfolios::table.into_boxed();
        if let Some(seller_id) = seller_id {
            query = query.filter(portfolios::seller_id.eq(seller_id.to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let ids: Vec<String> = filtered()
        .order((portfolios::created_at, portfolios::id))
        .limit(page.limit)
        .offset(page.offset)
        .select(portfolios::id)
        .load(conn)?;
    let items = ids
        .iter()
        .map(|id| find(conn, id))
        .collect::<QueryResult<_>>()?;
    Ok((items, total))
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &PortfolioChanges,
    product_ids: Option<&[String]>,
) -> QueryResult<Portfolio> {
    // One statement: the time of the change, plus whichever fields changed.
    let updated = diesel::update(portfolios::table.find(id))
        .set((portfolios::updated_at.eq(now()), changes))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    if let Some(product_ids) = product_ids {
        replace_products(conn, id, product_ids)?;
    }
    find(conn, id)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    match diesel::delete(portfolios::table.find(id)).execute(conn)? {
        0 => Err(diesel::result::Error::NotFound),
        _ => Ok(()),
    }
}

fn replace_products(conn: &mut DbConnection, id: &str, product_ids: &[String]) -> QueryResult<()> {
    diesel::delete(portfolio_products::table.filter(portfolio_products::portfolio_id.eq(id)))
        .execute(conn)?;
    for (position, product_id) in (0i32..).zip(product_ids) {
        diesel::insert_into(portfolio_products::table)
            .values((
                portfolio_products::portfolio_id.eq(id),
                portfolio_products::product_id.eq(product_id),
                portfolio_products::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}
