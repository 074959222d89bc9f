//! The CloudEvents 1.0 JSON envelope every platform message travels in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A CloudEvents 1.0 structured-mode JSON event.
///
/// `id` is unique per event and doubles as the JetStream `Nats-Msg-Id`, so a republished
/// event is dropped by the server's duplicate window and recognised by idempotent consumers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent<T> {
    pub specversion: String,
    pub id: Uuid,
    /// The service that emitted the event, e.g. `/cargo-express/ecommerce`.
    pub source: String,
    /// `co.cargoexpress.<thing>.<event>.v<version>`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: DateTime<Utc>,
    /// The id of the thing the event is about (an order id, a tracking number).
    pub subject: String,
    pub datacontenttype: String,
    /// The W3C trace this event belongs to (CloudEvents distributed tracing extension), so a
    /// consumer continues the trace of the request that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub data: T,
}

impl<T> CloudEvent<T> {
    pub fn new(
        source: impl Into<String>,
        event_type: impl Into<String>,
        subject: impl Into<String>,
        data: T,
    ) -> Self {
        Self {
            specversion: "1.0".to_owned(),
            id: Uuid::now_v7(),
            source: source.into(),
            event_type: event_type.into(),
            time: Utc::now(),
            subject: subject.into(),
            datacontenttype: "application/json".to_owned(),
            traceparent: None,
            data,
        }
    }

    /// The same event under an id chosen by the sender, for events whose identity comes from
    /// outside (a courier report's id), so a resent one dedupes like a republished one.
    pub fn with_id(self, id: Uuid) -> Self {
        Self { id, ..self }
    }

    /// The same event in the trace `traceparent` (a W3C `traceparent` value), if any.
    pub fn in_trace(self, traceparent: Option<String>) -> Self {
        Self {
            traceparent,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_the_cloudevents_attribute_names() {
        let event = CloudEvent::new("/test", "co.cargoexpress.test.v1", "s-1", 7);
        let json = serde_json::to_value(&event).unwrap();
        for attribute in [
            "specversion",
            "id",
            "source",
            "type",
            "time",
            "subject",
            "datacontenttype",
            "data",
        ] {
            assert!(json.get(attribute).is_some(), "missing {attribute}");
        }
        assert_eq!(json["specversion"], "1.0");
        let back: CloudEvent<i32> = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
