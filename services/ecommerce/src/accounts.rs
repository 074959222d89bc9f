//! Accounts created at start-up: the demo users of the quick start (demo mode only) and the
//! bootstrap administrator of a production install (while it has no administrator); and the refusal to run production with a
//! demo password still valid. Their passwords meet the same policy as everyone's
//! ([`NewPassword`]): the bootstrap password is checked here, the demo ones by a test.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use diesel::Connection;
use diesel::result::DatabaseErrorKind;
use platform::auth::{Passwords, Role};
use platform::db::{Db, DbError};
use platform::settings::Mode;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::db::users::{self, NewUser};
use crate::domain::demo_accounts::{
    DEFAULT_SELLER_ID, DEMO_ACCOUNTS, DEMO_COURIER_PASSWORD, DEMO_FLEET, demo_courier_email,
};
use crate::domain::{NewPassword, SellerId};

/// The bootstrap administrator's name.
const BOOTSTRAP_ADMIN_NAME: &str = "Administrator";

/// Creates or checks the start-up accounts for the run mode.
pub async fn prepare(db: &Db, settings: &Settings, passwords: &Passwords) -> anyhow::Result<()> {
    match settings.mode {
        Mode::Demo => create_demo_accounts(db, passwords).await?,
        Mode::Production => refuse_live_demo_passwords(db, passwords).await?,
    }
    if let Some(admin) = &settings.bootstrap_admin {
        let email = admin.email.trim().to_lowercase();
        // Checked at every start, so a guessable secret is found whether it is used or not.
        let password = NewPassword::parse(
            admin.password.expose_secret(),
            &[&email, BOOTSTRAP_ADMIN_NAME],
        )
        .map_err(|why| anyhow!("bootstrap_admin.password {why}"))?;
        // Only while the platform has no administrator: one deleted (its email erased) is not
        // made again while another runs the platform.
        if !has_administrator(db).await? && find(db, &email).await?.is_none() {
            let new = NewUser {
                email,
                password_hash: passwords.hash(password.expose().to_owned()).await?.0,
                role: Role::MarketplaceAdmin,
                name: BOOTSTRAP_ADMIN_NAME.to_owned(),
                seller_id: None,
                courier_id: None,
                shipping_address: None,
            };
            if insert_unless_present(db, new).await? {
                tracing::info!("created the bootstrap administrator");
            }
        }
    }
    Ok(())
}

/// Every demo account: one per role, then the rest of the fleet.
fn demo_users() -> impl Iterator<Item = (NewUser, &'static str)> {
    let per_role = DEMO_ACCOUNTS.iter().map(|demo| {
        let user = NewUser {
            email: demo.email.to_owned(),
            password_hash: String::new(),
            role: demo.role,
            name: demo.name.to_owned(),
            seller_id: (demo.role == Role::SellerUser)
                .then(|| SellerId::from(DEFAULT_SELLER_ID.to_owned())),
            courier_id: demo.courier_id,
            shipping_address: demo.shipping_address.map(str::to_owned),
        };
        (user, demo.password)
    });
    let fleet = DEMO_FLEET.iter().map(|(id, name)| {
        let user = NewUser {
            email: demo_courier_email(*id),
            password_hash: String::new(),
            role: Role::Courier,
            name: (*name).to_owned(),
            seller_id: None,
            courier_id: Some(*id),
            shipping_address: None,
        };
        (user, DEMO_COURIER_PASSWORD)
    });
    // Courier 101 is in both lists; the first one wins.
    per_role.chain(fleet)
}

async fn create_demo_accounts(db: &Db, passwords: &Passwords) -> anyhow::Result<()> {
    // Demo passwords are public; hashing each one once keeps start-up quick.
    let mut hashes: HashMap<&str, String> = HashMap::new();
    for (mut new, password) in demo_users() {
        if find(db, &new.email).await?.is_some() {
            continue;
        }
        new.password_hash = match hashes.get(password) {
            Some(hash) => hash.clone(),
            None => {
                let hash = passwords.hash(password.to_owned()).await?.0;
                hashes.insert(password, hash.clone());
                hash
            }
        };
        insert_unless_present(db, new).await?;
    }
    Ok(())
}

/// Inserts `new` unless a user with its email exists: replicas starting at the same second
/// both find the account missing, and the second insert meets the first's row. `false` when
/// it was there.
async fn insert_unless_present(db: &Db, new: NewUser) -> Result<bool, DbError> {
    // In a savepoint: on PostgreSQL a failed statement would otherwise end the transaction.
    db.write(
        move |conn| match conn.transaction(|conn| users::insert(conn, &new)) {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Ok(false)
            }
            Err(error) => Err(DbError::from(error)),
        },
    )
    .await
}

async fn refuse_live_demo_passwords(db: &Db, passwords: &Passwords) -> anyhow::Result<()> {
    for (demo, password) in demo_users() {
        if let Some(user) = find(db, &demo.email).await?
            && passwords
                .verify(password.to_owned(), Some(user.password_hash))
                .await
        {
            bail!(
                "production refuses to start: the demo account {} still has its public demo password",
                demo.email
            );
        }
    }
    Ok(())
}

async fn has_administrator(db: &Db) -> Result<bool, DbError> {
    db.run(|conn| Ok(users::any_with_role(conn, Role::MarketplaceAdmin)?))
        .await
}

async fn find(db: &Db, email: &str) -> Result<Option<users::User>, DbError> {
    let email = email.to_owned();
    db.run(move |conn| users::find_by_email(conn, &email).map_err(DbError::from))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_password_meets_the_password_policy() {
        for (user, password) in demo_users() {
            let checked = NewPassword::parse(password, &[&user.email, &user.name]);
            assert!(checked.is_ok(), "{}: {checked:?}", user.email);
        }
    }
}
