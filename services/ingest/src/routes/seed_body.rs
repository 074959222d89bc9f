//! Seed 000's body read field by field. serde stops at the first field it cannot read, so a
//! report with a wrong courier id and no timestamp would be answered about the courier only;
//! read this way, every field that is missing or of the wrong type is named at once, and the
//! fields that could be read still go through the report's rules.

use platform::error::InvalidParam;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::report::{Dialect, Item, Submission};

/// The submission this body holds, with every fault found while reading it in
/// [`Submission::unreadable`]. `own_courier` stands in for a courier id that cannot be read, so
/// that the refusal names the field instead of calling the report another courier's.
pub fn read(body: &Value, own_courier: i64) -> Submission {
    let mut reader = Reader::default();
    let Some(object) = body.as_object() else {
        reader.fault("body", "must be a JSON object");
        return reader.into_submission(String::new(), own_courier, vec![], String::new(), None);
    };
    let report_id = reader
        .required::<String>(object.get("pedido_id"), "pedido_id")
        .unwrap_or_default();
    let courier_id = match object.get("repartidor") {
        Some(Value::Object(courier)) => {
            reader.required::<i64>(courier.get("IdRepartidor"), "repartidor.IdRepartidor")
        }
        other => reader.required::<Value>(other, "repartidor").and_then(|_| {
            reader.fault("repartidor", "must be an object with IdRepartidor");
            None
        }),
    }
    .unwrap_or(own_courier);
    let items = match object.get("productos") {
        Some(Value::Array(products)) => products
            .iter()
            .enumerate()
            .map(|(index, product)| {
                let name = format!("productos[{index}].IdProducto");
                let sku = match product {
                    Value::Object(product) => reader.required(product.get("IdProducto"), &name),
                    _ => {
                        reader.fault(&format!("productos[{index}]"), "must be an object");
                        None
                    }
                };
                Item {
                    // Left empty, an unreadable SKU is blamed once, here, not again by the catalog.
                    sku: sku.unwrap_or_default(),
                    quantity: 1,
                }
            })
            .collect(),
        other => {
            if reader.required::<Value>(other, "productos").is_some() {
                reader.fault("productos", "must be a list of products");
            }
            vec![]
        }
    };
    let delivered_at = reader
        .required::<String>(object.get("timestamp"), "timestamp")
        .unwrap_or_default();
    let tracking_number = match object.get("tracking_number") {
        None | Some(Value::Null) => None,
        some => reader.required::<String>(some, "tracking_number"),
    };
    reader.into_submission(report_id, courier_id, items, delivered_at, tracking_number)
}

#[derive(Default)]
struct Reader {
    faults: Vec<InvalidParam>,
}

impl Reader {
    fn fault(&mut self, name: &str, reason: &str) {
        self.faults.push(InvalidParam {
            name: name.to_owned(),
            reason: reason.to_owned(),
        });
    }

    fn required<T: DeserializeOwned>(&mut self, value: Option<&Value>, name: &str) -> Option<T> {
        match value {
            None | Some(Value::Null) => {
                self.fault(name, "is missing");
                None
            }
            Some(value) => match T::deserialize(value) {
                Ok(read) => Some(read),
                Err(error) => {
                    self.fault(name, &error.to_string());
                    None
                }
            },
        }
    }

    fn into_submission(
        self,
        report_id: String,
        courier_id: i64,
        items: Vec<Item>,
        delivered_at: String,
        tracking_number: Option<String>,
    ) -> Submission {
        Submission {
            dialect: Dialect::Seed,
            report_id,
            courier_id,
            items,
            delivered_at,
            tracking_number,
            unreadable: self.faults,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn blamed(body: Value) -> Vec<String> {
        read(&body, 101)
            .unreadable
            .into_iter()
            .map(|f| f.name)
            .collect()
    }

    #[test]
    fn a_well_formed_body_reads_without_faults() {
        let submission = read(
            &json!({"pedido_id": "x", "repartidor": {"IdRepartidor": 104, "Nombre": "Juan"},
                "productos": [{"IdProducto": "pk0001", "precio": 1.0}], "timestamp": "t"}),
            101,
        );
        assert!(submission.unreadable.is_empty());
        assert_eq!(submission.courier_id, 104);
        assert_eq!(submission.items[0].sku, "pk0001");
    }

    #[test]
    fn every_unreadable_field_is_named() {
        assert_eq!(
            blamed(json!({"repartidor": {"IdRepartidor": "ciento uno"},
                "productos": [{"IdProducto": "pk0001"}, {"IdProducto": 7}, "pk0003"]})),
            [
                "pedido_id",
                "repartidor.IdRepartidor",
                "productos[1].IdProducto",
                "productos[2]",
                "timestamp"
            ]
        );
        assert_eq!(
            blamed(json!({"pedido_id": 1, "repartidor": 101, "productos": {}, "timestamp": null})),
            ["pedido_id", "repartidor", "productos", "timestamp"]
        );
        assert_eq!(blamed(json!([])), ["body"]);
    }

    #[test]
    fn an_unreadable_courier_is_taken_as_the_callers_own() {
        assert_eq!(read(&json!({"repartidor": {}}), 101).courier_id, 101);
    }
}
