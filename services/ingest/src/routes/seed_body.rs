//! Seed 000's body read field by field. serde stops at the first field it cannot read, so a
//! report with a wrong courier id and no timestamp would be answered about the courier only;
//! read this way, every field that is missing or of the wrong type is named at once, and the
//! fields that could be read still go through the report's rules.
//!
//! Reading a body into a `serde_json::Value` and then field by field costs more than the rest of
//! a report's checks, so a body is first read straight into the generator's shape
//! ([`WellFormed`]): exactly the fields it sends, each of its type. Only a body that does not
//! read that way (a field missing, of another type, or one more) is read field by field, and
//! answered as before.

use platform::ApiError;
use platform::error::InvalidParam;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::report::{Dialect, Item, Submission};

/// The submission the JSON `body` holds: [`read`] for a body that is not well-formed. Errs only
/// where reading any JSON body does (not JSON: 400; an escaped NUL character: 422).
pub fn parse(body: &[u8], own_courier: i64) -> Result<Submission, ApiError> {
    if let Some(report) = platform::json::parse_well_formed::<WellFormed>(body) {
        return Ok(report.into_submission());
    }
    let body: Value = platform::json::parse(body)?;
    Ok(read(&body, own_courier))
}

/// Seed 000's body as the generator sends it. Unknown fields are refused and the fields this
/// service ignores are typed, so that every body this reads is one [`read`] would take without a
/// fault, giving the same submission; any other body goes to [`read`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WellFormed {
    pedido_id: String,
    repartidor: WellFormedCourier,
    productos: Vec<WellFormedProduct>,
    timestamp: String,
    #[serde(default)]
    tracking_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WellFormedCourier {
    #[serde(rename = "IdRepartidor")]
    id: i64,
    #[serde(rename = "Nombre", default)]
    _name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WellFormedProduct {
    #[serde(rename = "IdProducto")]
    sku: String,
    #[serde(rename = "producto", default)]
    _name: Option<String>,
    #[serde(rename = "precio", default)]
    _price: Option<f64>,
}

impl WellFormed {
    fn into_submission(self) -> Submission {
        Submission {
            dialect: Dialect::Seed,
            report_id: self.pedido_id,
            courier_id: self.repartidor.id,
            items: self
                .productos
                .into_iter()
                .map(|product| Item {
                    sku: product.sku,
                    quantity: 1,
                })
                .collect(),
            delivered_at: self.timestamp,
            tracking_number: self.tracking_number,
            unreadable: vec![],
        }
    }
}

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

    /// What the fast reading and the field-by-field one make of `body`, as text.
    fn both_readings(body: &str) -> (Option<String>, String) {
        let fast = platform::json::parse_well_formed::<WellFormed>(body.as_bytes())
            .map(|report| format!("{:?}", report.into_submission()));
        let value: Value = serde_json::from_str(body).unwrap();
        (fast, format!("{:?}", read(&value, 101)))
    }

    #[test]
    fn a_body_read_fast_is_read_as_field_by_field() {
        let generator = r#"{"pedido_id": "0b0f5b1e-8f1e-4b55-9d55-4c2f0a7f3f7e",
            "repartidor": {"IdRepartidor": 104, "Nombre": "Mar\u00eda L\u00f3pez"},
            "productos": [{"IdProducto": "pk0001", "producto": "Moneda", "precio": 1.0},
                {"IdProducto": "pk0004", "producto": "Pendrive", "precio": 12}],
            "timestamp": "2026-11-23 08:10:11.123456"}"#;
        for body in [
            generator,
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": -3}, "productos": [],
                "timestamp": "t", "tracking_number": null}"#,
            r#"{"pedido_id": " x ", "repartidor": {"IdRepartidor": 101, "Nombre": null},
                "productos": [{"IdProducto": ""}], "timestamp": "", "tracking_number": "CX1"}"#,
        ] {
            let (fast, field_by_field) = both_readings(body);
            assert_eq!(fast.as_deref(), Some(field_by_field.as_str()), "{body}");
        }
    }

    #[test]
    fn a_body_off_the_generators_shape_is_left_to_the_field_by_field_reading() {
        for body in [
            // Faults the field-by-field reading names.
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101.0}, "productos": [],
                "timestamp": "t"}"#,
            r#"{"pedido_id": "x", "repartidor": [101], "productos": [], "timestamp": "t"}"#,
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101},
                "productos": [["pk0001"]], "timestamp": "t"}"#,
            r#"{"pedido_id": null, "repartidor": {"IdRepartidor": 101}, "productos": [],
                "timestamp": "t"}"#,
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101}, "productos": []}"#,
            r#"["x"]"#,
            // Bodies it takes, but with more than the fast reading checks.
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101, "Nombre": 7},
                "productos": [], "timestamp": "t"}"#,
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101},
                "productos": [{"IdProducto": "pk0001", "precio": "1.00"}], "timestamp": "t"}"#,
            r#"{"pedido_id": "x", "repartidor": {"IdRepartidor": 101}, "productos": [],
                "timestamp": "t", "device": {"battery": 0.5}}"#,
            r#"{"pedido_id": "x", "pedido_id": "y", "repartidor": {"IdRepartidor": 101},
                "productos": [], "timestamp": "t"}"#,
        ] {
            assert_eq!(both_readings(body).0, None, "{body}");
        }
        // Refused as any JSON body is, through the field-by-field path.
        assert!(parse(br#"{"pedido_id": "x\u0000"}"#, 101).is_err());
        assert!(parse(b"{", 101).is_err());
    }

    #[test]
    fn an_unreadable_courier_is_taken_as_the_callers_own() {
        assert_eq!(read(&json!({"repartidor": {}}), 101).courier_id, 101);
    }
}
