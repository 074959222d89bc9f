//! The audit trail of the user lifecycle: who disabled, enabled or deleted a user, changed
//! their role or reset or changed their password, and when.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::user_changes;
use super::{ChangedBy, PageRequest, now};

/// One recorded change of a user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_changes)]
pub struct UserChange {
    pub id: i64,
    pub action: String,
    /// A JSON object, `{}` when the action says it all.
    pub details: String,
    pub changed_by: String,
    pub changed_by_email: Option<String>,
    pub changed_by_role: Option<String>,
    pub changed_at: NaiveDateTime,
}

pub fn record(
    conn: &mut DbConnection,
    user_id: &str,
    action: &str,
    details: &serde_json::Value,
    by: &ChangedBy,
) -> QueryResult<()> {
    diesel::insert_into(user_changes::table)
        .values((
            user_changes::user_id.eq(user_id),
            user_changes::action.eq(action),
            user_changes::details.eq(details.to_string()),
            user_changes::changed_by.eq(&by.user_id),
            user_changes::changed_by_email.eq(&by.email),
            user_changes::changed_by_role.eq(&by.role),
            user_changes::changed_at.eq(now()),
        ))
        .execute(conn)
        .map(drop)
}

/// The user's changes, newest first, with their total.
pub fn of_user(
    conn: &mut DbConnection,
    user_id: &str,
    page: PageRequest,
) -> QueryResult<(Vec<UserChange>, i64)> {
    let total = user_changes::table
        .filter(user_changes::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let items = user_changes::table
        .filter(user_changes::user_id.eq(user_id))
        .order(user_changes::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(UserChange::as_select())
        .load(conn)?;
    Ok((items, total))
}
