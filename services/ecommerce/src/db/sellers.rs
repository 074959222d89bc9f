use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{seller_tags, sellers};
use super::{PageRequest, new_id, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sellers)]
pub struct SellerRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_name: Option<String>,
    pub warehouse_address: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A seller with its tags.
#[derive(Debug, Clone)]
pub struct Seller {
    pub row: SellerRow,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewSeller {
    pub name: String,
    pub description: String,
    pub owner_name: Option<String>,
    pub warehouse_address: Option<String>,
    pub tags: Vec<String>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = sellers)]
pub struct SellerChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner_name: Option<String>,
    pub warehouse_address: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewSeller) -> QueryResult<Seller> {
    let now = now();
    let id = new_id();
    diesel::insert_into(sellers::table)
        .values((
            sellers::id.eq(&id),
            sellers::name.eq(&new.name),
            sellers::description.eq(&new.description),
            sellers::owner_name.eq(&new.owner_name),
            sellers::warehouse_address.eq(&new.warehouse_address),
            sellers::created_at.eq(now),
            sellers::updated_at.eq(now),
        ))
        .execute(conn)?;
    replace_tags(conn, &id, &new.tags)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Seller> {
    let row = sellers::table
        .find(id)
        .select(SellerRow::as_select())
        .first(conn)?;
    let tags = tags_of(conn, id)?;
    Ok(Seller { row, tags })
}

pub fn list(conn: &mut DbConnection, page: PageRequest) -> QueryResult<(Vec<Seller>, i64)> {
    let total = sellers::table.count().get_result(conn)?;
    let rows: Vec<SellerRow> = sellers::table
        .order((sellers::created_at, sellers::id))
        .limit(page.limit)
        .offset(page.offset)
        .select(SellerRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let tags: Vec<(String, String)> = seller_tags::table
        .filter(seller_tags::seller_id.eq_any(&ids))
        .order((seller_tags::seller_id, seller_tags::tag))
        .load(conn)?;
    let sellers = rows
        .into_iter()
        .map(|row| {
            let own = tags
                .iter()
                .filter(|(seller, _)| *seller == row.id)
                .map(|(_, tag)| tag.clone())
                .collect();
            Seller { row, tags: own }
        })
        .collect();
    Ok((sellers, total))
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &SellerChanges,
    tags: Option<&[String]>,
) -> QueryResult<Seller> {
    // One statement: the time of the change, plus whichever fields changed.
    let updated = diesel::update(sellers::table.find(id))
        .set((sellers::updated_at.eq(now()), changes))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    if let Some(tags) = tags {
        replace_tags(conn, id, tags)?;
    }
    find(conn, id)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    match diesel::delete(sellers::table.find(id)).execute(conn)? {
        0 => Err(diesel::result::Error::NotFound),
        _ => Ok(()),
    }
}

fn tags_of(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
    seller_tags::table
        .filter(seller_tags::seller_id.eq(id))
        .order(seller_tags::tag)
        .select(seller_tags::tag)
        .load(conn)
}

fn replace_tags(conn: &mut DbConnection, id: &str, tags: &[String]) -> QueryResult<()> {
    diesel::delete(seller_tags::table.filter(seller_tags::seller_id.eq(id))).execute(conn)?;
    for tag in tags {
        diesel::insert_into(seller_tags::table)
            .values((seller_tags::seller_id.eq(id), seller_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}
