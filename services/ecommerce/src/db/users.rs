use chrono::NaiveDateTime;
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
}

impl User {
    /// The stored role; the database only ever holds roles written from [`Role`].
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
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
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
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
        let mut query = users::table.into_boxed();
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

pub fn list_for_seller(conn: &mut DbConnection, seller_id: &SellerId) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::seller_id.eq(seller_id))
        .order((users::created_at, users::id))
        .select(User::as_select())
        .load(conn)
}
