//! What a change did to a seller, for its audit trail (seed 003 §2: "who changed the owner and
//! the tags, and from what"): each field that changed, with its old and new value. Fields that
//! kept their value are left out, so a change that changed nothing has nothing to record.

use serde_json::{Map, Value, json};

/// The fields of a seller that people change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerFields {
    pub name: String,
    pub description: String,
    pub owner_name: Option<String>,
    pub warehouse_address: Option<String>,
    /// Sorted, as stored.
    pub tags: Vec<String>,
}

/// `{"owner_name": {"old": "Ana", "new": "Old-Wolf"}, "tags": {"old": [...], "new": [...]}}`
/// for the fields that differ between `old` and `new`.
pub fn changed_fields(old: &SellerFields, new: &SellerFields) -> Map<String, Value> {
    let pairs = [
        ("name", json!(old.name), json!(new.name)),
        (
            "description",
            json!(old.description),
            json!(new.description),
        ),
        ("owner_name", json!(old.owner_name), json!(new.owner_name)),
        (
            "warehouse_address",
            json!(old.warehouse_address),
            json!(new.warehouse_address),
        ),
        ("tags", json!(old.tags), json!(new.tags)),
    ];
    pairs
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| (field.to_owned(), json!({"old": old, "new": new})))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seller(owner: &str, tags: &[&str]) -> SellerFields {
        SellerFields {
            name: "Tienda".into(),
            description: "Cosas".into(),
            owner_name: Some(owner.to_owned()),
            warehouse_address: None,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn only_the_fields_that_changed_are_recorded_with_old_and_new_values() {
        let before = seller("Ana", &["finance", "food"]);
        let after = seller("Old-Wolf", &["education", "food"]);
        assert_eq!(
            Value::Object(changed_fields(&before, &after)),
            json!({
                "owner_name": {"old": "Ana", "new": "Old-Wolf"},
                "tags": {"old": ["finance", "food"], "new": ["education", "food"]},
            })
        );
        assert!(changed_fields(&before, &before).is_empty());
    }
}
