//! Rotating the key of the ally credentials: every stored version encrypted under an older key
//! the vault still holds is decrypted and encrypted again under the current key, in place (a
//! rotation is not a change of credentials: versions, history and authors stay as they were,
//! and `re_encrypted_at` says when). Afterwards nothing needs the older keys any more, and they
//! can leave the settings.
//!
//! Safe while the service runs, in any number of replicas: new writes already use the current
//! key (the replicas were restarted with it first), each row is re-encrypted only if it is
//! still under the old key when written back, and running the rotation twice does nothing the
//! second time. Rows under a key that no setting holds cannot be re-encrypted; they are counted
//! and reported, never touched.

use std::collections::BTreeMap;

use anyhow::Context;
use platform::db::{Db, DbError};

use crate::db::{ally_credentials, now};
use crate::vault::Vault;

/// Rows re-encrypted per transaction.
const BATCH: i64 = 100;

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    pub current_key_id: String,
    /// Versions re-encrypted, per key they were under before.
    pub re_encrypted: BTreeMap<String, u64>,
    /// Versions still under another key afterwards (a key no setting holds), per key.
    pub left: BTreeMap<String, i64>,
}

/// How many versions each key encrypts, and whether the vault holds that key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    pub key_id: String,
    pub versions: i64,
    pub current: bool,
    pub held: bool,
}

/// Counts the versions under each key.
pub async fn key_usage(db: &Db, vault: &Vault) -> anyhow::Result<Vec<KeyUsage>> {
    let counts = db
        .run(|conn| ally_credentials::count_by_key(conn).map_err(DbError::from))
        .await
        .context("counting ally credentials per key (is this ecommerce's database?)")?;
    Ok(counts
        .into_iter()
        .map(|(key_id, versions)| KeyUsage {
            current: key_id == vault.current_key_id(),
            held: vault.can_read(&key_id),
            key_id,
            versions,
        })
        .collect())
}

/// Re-encrypts every version under an older key the vault holds.
pub async fn rotate(db: &Db, vault: &Vault) -> anyhow::Result<Rotation> {
    let current = vault.current_key_id().to_owned();
    let mut rotation = Rotation {
        current_key_id: current.clone(),
        ..Rotation::default()
    };
    let older: Vec<String> = vault
        .readable_key_ids()
        .into_iter()
        .filter(|id| *id != current)
        .collect();
    for old_key in older {
        loop {
            let (vault, current, old) = (vault.clone(), current.clone(), old_key.clone());
            let done = db
                .write(move |conn| -> anyhow::Result<u64> {
                    let rows = ally_credentials::under_key(conn, &old, BATCH)?;
                    let mut done = 0;
                    for row in rows {
                        let Some(sealed) = row.sealed() else { continue };
                        let resealed = vault
                            .reseal(&row.ally_id, row.version, &sealed)
                            .with_context(|| {
                                format!(
                                    "ally {} version {} under key {old}",
                                    row.ally_id, row.version
                                )
                            })?;
                        if let Some(resealed) = resealed {
                            debug_assert_eq!(resealed.key_id, current);
                            if ally_credentials::re_encrypt(
                                conn,
                                &row.ally_id,
                                row.version,
                                &old,
                                &resealed,
                                now(),
                            )? {
                                done += 1;
                            }
                        }
                    }
                    Ok(done)
                })
                .await?;
            if done == 0 {
                break;
            }
            *rotation.re_encrypted.entry(old_key.clone()).or_default() += done;
        }
    }
    for usage in key_usage(db, vault).await? {
        if !usage.current {
            rotation.left.insert(usage.key_id, usage.versions);
        }
    }
    Ok(rotation)
}
