use chrono::NaiveDateTime;
use contracts::user_access::AccessChange;
use diesel::prelude::*;
use platform::auth::Role;
use platform::db::DbConnection;

use crate::domain::SellerId;

use super::schema::users;
use super::{PageRequest, new_id, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub name: String,
    pub seller_id: Option<SellerId>,
    pub courier_id: Option<i64>,
    pub shipping_address: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub token_generation: i64,
}

impl User {
    /// The stored role; the database only ever holds roles written from [`Role`].
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

/// A user's role with what that role needs: the seller of a seller user, the courier id of a
/// courier, the shipping address of a marketplace user (and none of them otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub role: Role,
    pub seller_id: Option<SellerId>,
    pub courier_id: Option<i64>,
    pub shipping_address: Option<String>,
}

/// The users every query finds: all but deleted ones, whose rows only keep their orders' and
/// audit trail's references valid.
fn live() -> users::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
    users::table
        .filter(users::deleted_at.is_null())
        .into_boxed()
}

/// A user about to be stored, already validated and with its password hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub name: String,
    pub seller_id: Option<SellerId>,
    pub courier_id: Option<i64>,
    pub shipping_address: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<User> {
    let now = now();
    let id = new_id();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(&new.email),
            users::password_hash.eq(&new.password_hash),
            users::role.eq(new.role.as_str()),
            users::name.eq(&new.name),
            users::seller_id.eq(&new.seller_id),
            users::courier_id.eq(new.courier_id),
            users::shipping_address.eq(&new.shipping_address),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<User> {
    live()
        .filter(users::id.eq(id))
        .select(User::as_select())
        .first(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    live()
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    role: Option<Role>,
    page: PageRequest,
) -> QueryResult<(Vec<User>, i64)> {
    let filtered = || {
        let mut query = live();
        if let Some(role) = role {
            query = query.filter(users::role.eq(role.as_str()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((users::created_at, users::id))
        .limit(page.limit)
        .offset(page.offset)
        .select(User::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Whether any user (deleted ones aside) has `role`: one row read, nothing counted.
pub fn any_with_role(conn: &mut DbConnection, role: Role) -> QueryResult<bool> {
    live()
        .filter(users::role.eq(role.as_str()))
        .select(users::id)
        .first::<String>(conn)
        .optional()
        .map(|found| found.is_some())
}

pub fn list_for_seller(conn: &mut DbConnection, seller_id: &SellerId) -> QueryResult<Vec<User>> {
    live()
        .filter(users::seller_id.eq(seller_id))
        .order((users::created_at, users::id))
        .select(User::as_select())
        .load(conn)
}

/// Holds the user's row locked until the transaction ends (PostgreSQL; SQLite's write
/// transaction already excludes other writers).
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        users::table
            .find(id)
            .select(users::id)
            .for_update()
            .first::<String>(pg)
            .optional()?;
    }
    Ok(())
}

/// The ids of the active administrators (neither disabled nor deleted), their rows held locked
/// until the transaction ends on PostgreSQL, in one order so that two such locks never wait on
/// each other.
pub fn lock_active_admins(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let admins = users::table
        .filter(users::role.eq(Role::MarketplaceAdmin.as_str()))
        .filter(users::disabled_at.is_null())
        .filter(users::deleted_at.is_null())
        .order(users::id)
        .select(users::id);
    match conn {
        DbConnection::Postgres(pg) => admins.for_update().load(pg),
        DbConnection::Sqlite(_) => admins.load(conn),
    }
}

/// Disables (`true`) or enables the user; a disabled user cannot log in.
pub fn set_disabled(conn: &mut DbConnection, id: &str, disabled: bool) -> QueryResult<()> {
    let now = now();
    diesel::update(users::table.find(id))
        .set((
            users::disabled_at.eq(disabled.then_some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_role(conn: &mut DbConnection, id: &str, to: &RoleAssignment) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(to.role.as_str()),
            users::seller_id.eq(&to.seller_id),
            users::courier_id.eq(to.courier_id),
            users::shipping_address.eq(&to.shipping_address),
            users::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_password_hash(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
        .execute(conn)
        .map(drop)
}

/// Deletes the user: their personal data and password are erased and their email is free
/// again; the row stays, found by no query, for the orders and audit entries naming them.
pub fn erase(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    let now = now();
    diesel::update(users::table.find(id))
        .set((
            // Not an email, so no one can register it and block the erasure.
            users::email.eq(format!("deleted:{id}")),
            users::password_hash.eq(""),
            users::name.eq("Deleted user"),
            users::seller_id.eq(None::<SellerId>),
            users::courier_id.eq(None::<i64>),
            users::shipping_address.eq(None::<String>),
            users::deleted_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Raises the user's token generation for `change`; returns the new generation.
pub fn raise_token_generation(
    conn: &mut DbConnection,
    id: &str,
    change: AccessChange,
) -> QueryResult<i64> {
    diesel::update(users::table.find(id))
        .set((
            users::token_generation.eq(users::token_generation + 1),
            users::access_change.eq(change.as_str()),
        ))
        .execute(conn)?;
    users::table
        .find(id)
        .select(users::token_generation)
        .first(conn)
}

/// Every user whose access changed, deleted ones included, with their generation and the change
/// that last raised it: the content of the `user_access` bucket.
pub fn access_changes(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64, String)>> {
    users::table
        .filter(users::access_change.is_not_null())
        .select((
            users::id,
            users::token_generation,
            users::access_change.assume_not_null(),
        ))
        .load(conn)
}
