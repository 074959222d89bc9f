//! Sellers, their tags, and the audit trail of their changes.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{seller_changes, seller_tags, sellers};
use super::{ChangedBy, PageRequest, now};
use crate::domain::SellerId;
use crate::domain::seller_change::{SellerFields, changed_fields};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sellers)]
pub struct SellerRow {
    pub id: SellerId,
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

impl Seller {
    /// The fields people change, as the audit trail compares them.
    pub fn fields(&self) -> SellerFields {
        SellerFields {
            name: self.row.name.clone(),
            description: self.row.description.clone(),
            owner_name: self.row.owner_name.clone(),
            warehouse_address: self.row.warehouse_address.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// One change of a seller: who, when, and each changed field's old and new value.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = seller_changes)]
pub struct SellerChange {
    pub id: i64,
    pub changed_by: String,
    pub changed_by_email: Option<String>,
    pub changed_by_role: Option<String>,
    /// A JSON object: `{"owner_name": {"old": .., "new": ..}, ..}`.
    pub changes: String,
    pub changed_at: NaiveDateTime,
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
    let id = SellerId::generate();
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

pub fn find(conn: &mut DbConnection, id: &SellerId) -> QueryResult<Seller> {
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
    let ids: Vec<&SellerId> = rows.iter().map(|r| &r.id).collect();
    let tags: Vec<(SellerId, String)> = seller_tags::table
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

/// Changes the seller and records in its audit trail what changed and who changed it (nothing
/// is recorded when every value stayed the same). Call it in a write transaction.
pub fn update(
    conn: &mut DbConnection,
    id: &SellerId,
    changes: &SellerChanges,
    tags: Option<&[String]>,
    changed_by: &ChangedBy,
) -> QueryResult<Seller> {
    let before = find(conn, id)?;
    // One statement: the time of the change, plus whichever fields changed.
    let now = now();
    diesel::update(sellers::table.find(id))
        .set((sellers::updated_at.eq(now), changes))
        .execute(conn)?;
    if let Some(tags) = tags {
        replace_tags(conn, id, tags)?;
    }
    let after = find(conn, id)?;
    let changed = changed_fields(&before.fields(), &after.fields());
    if !changed.is_empty() {
        diesel::insert_into(seller_changes::table)
            .values((
                seller_changes::seller_id.eq(id),
                seller_changes::changed_by.eq(&changed_by.user_id),
                seller_changes::changed_by_email.eq(&changed_by.email),
                seller_changes::changed_by_role.eq(&changed_by.role),
                seller_changes::changes.eq(serde_json::Value::Object(changed).to_string()),
                seller_changes::changed_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(after)
}

/// The seller's changes, newest first, with their count.
pub fn changes_of(
    conn: &mut DbConnection,
    id: &SellerId,
    page: PageRequest,
) -> QueryResult<(Vec<SellerChange>, i64)> {
    let of_seller = seller_changes::seller_id.eq(id);
    let total = seller_changes::table
        .filter(of_seller)
        .count()
        .get_result(conn)?;
    let items = seller_changes::table
        .filter(of_seller)
        .order(seller_changes::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(SellerChange::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Every tag in use with the number of sellers using it, most used first, then by name
/// (seed 003 §1; `docs/support/sql/tags-report.*.sql` is the same report as SQL).
pub fn tag_usage(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    seller_tags::table
        .group_by(seller_tags::tag)
        .select((seller_tags::tag, count_star()))
        .order((count_star().desc(), seller_tags::tag))
        .load(conn)
}

pub fn delete(conn: &mut DbConnection, id: &SellerId) -> QueryResult<()> {
    match diesel::delete(sellers::table.find(id)).execute(conn)? {
        0 => Err(diesel::result::Error::NotFound),
        _ => Ok(()),
    }
}

fn tags_of(conn: &mut DbConnection, id: &SellerId) -> QueryResult<Vec<String>> {
    seller_tags::table
        .filter(seller_tags::seller_id.eq(id))
        .order(seller_tags::tag)
        .select(seller_tags::tag)
        .load(conn)
}

fn replace_tags(conn: &mut DbConnection, id: &SellerId, tags: &[String]) -> QueryResult<()> {
    diesel::delete(seller_tags::table.filter(seller_tags::seller_id.eq(id))).execute(conn)?;
    for tag in tags {
        diesel::insert_into(seller_tags::table)
            .values((seller_tags::seller_id.eq(id), seller_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}
