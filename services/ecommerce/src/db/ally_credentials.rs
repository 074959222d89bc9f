//! The versions of each ally's credentials (see `vault` and `domain::ally_credentials`): rows
//! are only ever added, except that a key rotation re-encrypts a row's ciphertext in place.
//! Writers of one ally take turns: on PostgreSQL by locking the seller's row, on SQLite by the
//! write transaction itself (`BEGIN IMMEDIATE`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::ChangedBy;
use super::PageRequest;
use super::schema::{ally_credentials, sellers};
use crate::vault::Sealed;

/// What a version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Set the credentials (the row holds them, encrypted).
    Set,
    /// Revoked them: the ally has none from this version on.
    Revoked,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Set => "set",
            Action::Revoked => "revoked",
        }
    }
}

/// A version as stored, secret included (encrypted).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ally_credentials)]
pub struct StoredVersion {
    pub ally_id: String,
    pub version: i64,
    pub action: String,
    pub key_id: Option<String>,
    pub nonce: Option<Vec<u8>>,
    pub ciphertext: Option<Vec<u8>>,
}

impl StoredVersion {
    /// The encrypted credentials of a `set` version.
    pub fn sealed(&self) -> Option<Sealed> {
        match (&self.key_id, &self.nonce, &self.ciphertext) {
            (Some(key_id), Some(nonce), Some(ciphertext)) if self.action == "set" => Some(Sealed {
                key_id: key_id.clone(),
                nonce: nonce.clone(),
                ciphertext: ciphertext.clone(),
            }),
            _ => None,
        }
    }
}

/// A version as the history shows it: who, when, which key; never the secret.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ally_credentials)]
pub struct VersionRecord {
    pub version: i64,
    pub action: String,
    pub key_id: Option<String>,
    pub changed_by: String,
    pub changed_by_email: String,
    pub changed_by_role: String,
    pub changed_at: NaiveDateTime,
    pub re_encrypted_at: Option<NaiveDateTime>,
}

/// The ally's latest version, if it has any.
pub fn latest(conn: &mut DbConnection, ally_id: &str) -> QueryResult<Option<StoredVersion>> {
    ally_credentials::table
        .filter(ally_credentials::ally_id.eq(ally_id))
        .order(ally_credentials::version.desc())
        .select(StoredVersion::as_select())
        .first(conn)
        .optional()
}

/// Makes the other writers of this ally's credentials wait until this transaction ends, so
/// that reading the latest version and adding the next one is one step. On SQLite the write
/// transaction already holds the database's write lock.
pub fn take_turn(conn: &mut DbConnection, ally_id: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        sellers::table
            .find(ally_id)
            .select(sellers::id)
            .for_update()
            .first::<String>(pg)
            .optional()?;
    }
    Ok(())
}

/// Adds version `version` of `ally_id`: the credentials `sealed`, or a revocation (`None`).
pub fn add(
    conn: &mut DbConnection,
    ally_id: &str,
    version: i64,
    sealed: Option<&Sealed>,
    changed_by: &ChangedBy,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let action = if sealed.is_some() {
        Action::Set
    } else {
        Action::Revoked
    };
    diesel::insert_into(ally_credentials::table)
        .values((
            ally_credentials::ally_id.eq(ally_id),
            ally_credentials::version.eq(version),
            ally_credentials::action.eq(action.as_str()),
            ally_credentials::key_id.eq(sealed.map(|s| s.key_id.as_str())),
            ally_credentials::nonce.eq(sealed.map(|s| s.nonce.as_slice())),
            ally_credentials::ciphertext.eq(sealed.map(|s| s.ciphertext.as_slice())),
            ally_credentials::changed_by.eq(&changed_by.user_id),
            ally_credentials::changed_by_email.eq(&changed_by.email),
            ally_credentials::changed_by_role.eq(&changed_by.role),
            ally_credentials::changed_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// The ally's versions, newest first, with their count.
pub fn history(
    conn: &mut DbConnection,
    ally_id: &str,
    page: PageRequest,
) -> QueryResult<(Vec<VersionRecord>, i64)> {
    let of_ally = ally_credentials::ally_id.eq(ally_id);
    let total = ally_credentials::table
        .filter(of_ally)
        .count()
        .get_result(conn)?;
    let items = ally_credentials::table
        .filter(of_ally)
        .order(ally_credentials::version.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(VersionRecord::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Up to `limit` versions encrypted under `key_id`, for a rotation.
pub fn under_key(
    conn: &mut DbConnection,
    key_id: &str,
    limit: i64,
) -> QueryResult<Vec<StoredVersion>> {
    ally_credentials::table
        .filter(ally_credentials::key_id.eq(key_id))
        .order((ally_credentials::ally_id, ally_credentials::version))
        .limit(limit)
        .select(StoredVersion::as_select())
        .load(conn)
}

/// Replaces a version's ciphertext, encrypted under `old_key_id`, by `sealed` (a rotation).
/// `false` when the row is no longer under that key (another rotation got there first).
pub fn re_encrypt(
    conn: &mut DbConnection,
    ally_id: &str,
    version: i64,
    old_key_id: &str,
    sealed: &Sealed,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let row = ally_credentials::table
        .filter(ally_credentials::ally_id.eq(ally_id))
        .filter(ally_credentials::version.eq(version))
        .filter(ally_credentials::key_id.eq(old_key_id));
    let updated = diesel::update(row)
        .set((
            ally_credentials::key_id.eq(&sealed.key_id),
            ally_credentials::nonce.eq(&sealed.nonce),
            ally_credentials::ciphertext.eq(&sealed.ciphertext),
            ally_credentials::re_encrypted_at.eq(at),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// How many versions each key encrypts.
pub fn count_by_key(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    ally_credentials::table
        .filter(ally_credentials::key_id.is_not_null())
        .group_by(ally_credentials::key_id)
        .select((
            ally_credentials::key_id.assume_not_null(),
            diesel::dsl::count_star(),
        ))
        .order(ally_credentials::key_id)
        .load(conn)
}
