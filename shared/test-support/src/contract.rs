//! Checking an answer against a seed's example contract: every member the example shows must be
//! in the answer, at the same place (objects member by member, lists by their first entry).
//! Values are not compared: the seeds' examples hold placeholders ("provided by the delivery
//! microservice"), not values.

use serde_json::Value;

/// The paths of the members `example` shows that `answer` lacks (or holds as null).
pub fn missing_members(example: &Value, answer: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    walk(example, answer, String::new(), &mut missing);
    missing
}

fn walk(example: &Value, answer: &Value, path: String, missing: &mut Vec<String>) {
    match (example, answer) {
        (Value::Object(shown), Value::Object(given)) => {
            for (name, value) in shown {
                let at = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                match given.get(name) {
                    None | Some(Value::Null) => missing.push(at),
                    Some(given) => walk(value, given, at, missing),
                }
            }
        }
        (Value::Array(shown), Value::Array(given)) => {
            if let Some(first) = shown.first() {
                match given.first() {
                    Some(given) => walk(first, given, format!("{path}[0]"), missing),
                    None => missing.push(format!("{path}[0]")),
                }
            }
        }
        (Value::Object(_) | Value::Array(_), _) => missing.push(path),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_member_shown_must_be_answered_at_its_place() {
        let example = json!({"a": "", "b": {"c": ""}, "l": [{"d": ""}]});
        assert!(
            missing_members(
                &example,
                &json!({"a": 1, "b": {"c": 2, "x": 0}, "l": [{"d": 3}]})
            )
            .is_empty()
        );
        assert_eq!(
            missing_members(&example, &json!({"a": null, "b": "flat", "l": [{}]})),
            ["a", "b", "l[0].d"]
        );
        assert_eq!(
            missing_members(&example, &json!({"a": 1, "b": {"c": 1}, "l": []})),
            ["l[0]"]
        );
    }
}
