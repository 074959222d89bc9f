//! What each service may do on NATS: the subjects it may publish and subscribe to, the
//! JetStream API calls it makes included, built from the streams, buckets and notices declared
//! in this crate. A service publishes only the events and KV entries it owns, reads and
//! consumes only what it needs, may make a stream it needs again when NATS lost it, and can
//! never delete or purge a stream or bucket.
//!
//! The shipped server configurations carry exactly these lists:
//! `deploy/local/nats-permissions.conf` is [`render_conf`]'s output (its test fails when they
//! drift apart), and `scripts/check-deploy` compares the Helm values' users with that file.

use crate::notices::{METRICS_ROLLUPS_CHANGED, WEBHOOK_SUBSCRIPTION_CHANGED};
use crate::streams::{
    BucketSpec, CATALOG, COURIER_REPORTS, COURIERS, DELIVERIES, ORDERS, StreamSpec, USER_ACCESS,
};

/// The services with a NATS user of their own.
pub const SERVICES: [&str; 4] = ["ecommerce", "delivery", "ingest", "metrics"];

/// The subjects a user may publish to and subscribe to (NATS wildcards allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
}

/// What a service does on NATS.
struct Needs {
    /// Streams it writes its events to.
    writes: &'static [StreamSpec],
    /// Streams it reads with durable consumers.
    consumes: &'static [StreamSpec],
    /// Buckets it writes (it owns them).
    owns: &'static [BucketSpec],
    /// Buckets it only reads (a watch, or a key).
    watches: &'static [BucketSpec],
    /// Notices it sends to, and hears from, its own replicas.
    notices: &'static [&'static str],
}

fn needs(service: &str) -> Option<Needs> {
    Some(match service {
        "ecommerce" => Needs {
            writes: &[ORDERS],
            consumes: &[ORDERS],
            owns: &[CATALOG, USER_ACCESS],
            watches: &[],
            notices: &[],
        },
        "delivery" => Needs {
            writes: &[DELIVERIES],
            consumes: &[ORDERS, COURIER_REPORTS, DELIVERIES],
            owns: &[COURIERS],
            watches: &[USER_ACCESS],
            notices: &[WEBHOOK_SUBSCRIPTION_CHANGED],
        },
        "ingest" => Needs {
            writes: &[COURIER_REPORTS],
            consumes: &[],
            owns: &[],
            watches: &[CATALOG, COURIERS, USER_ACCESS],
            notices: &[],
        },
        "metrics" => Needs {
            writes: &[],
            consumes: &[ORDERS, DELIVERIES, COURIER_REPORTS],
            owns: &[],
            watches: &[USER_ACCESS],
            notices: &[METRICS_ROLLUPS_CHANGED],
        },
        _ => return None,
    })
}

/// The inbox prefix of `service`'s connections: replies (JetStream's acknowledgements and API
/// answers, a watch's messages) come only to subjects under it, so no service reads another's.
pub fn inbox_prefix(service: &str) -> String {
    format!("_INBOX_{service}")
}

/// What `service` may do; `None` for a name that is not one of [`SERVICES`].
pub fn of(service: &str) -> Option<Permissions> {
    let needs = needs(service)?;
    let mut publish = vec!["$JS.API.INFO".to_owned()];
    let mut known = Vec::new();
    for stream in needs.writes.iter().chain(needs.consumes) {
        if known.contains(&stream.name) {
            continue;
        }
        known.push(stream.name);
        // Read, and made again when NATS lost it (with the same configuration).
        publish.push(format!("$JS.API.STREAM.INFO.{}", stream.name));
        publish.push(format!("$JS.API.STREAM.CREATE.{}", stream.name));
    }
    for stream in needs.writes {
        publish.push(format!("{}.>", stream.subject_prefix));
        publish.push(format!("$JS.API.STREAM.UPDATE.{}", stream.name));
    }
    for stream in needs.consumes {
        let name = stream.name;
        for call in ["CREATE", "DURABLE.CREATE", "INFO", "DELETE", "MSG.NEXT"] {
            publish.push(format!("$JS.API.CONSUMER.{call}.{name}.>"));
        }
        publish.push(format!("$JS.ACK.{name}.>"));
    }
    for (bucket, owned) in needs
        .owns
        .iter()
        .map(|b| (b, true))
        .chain(needs.watches.iter().map(|b| (b, false)))
    {
        let stream = format!("KV_{}", bucket.name);
        publish.push(format!("$JS.API.STREAM.INFO.{stream}"));
        publish.push(format!("$JS.API.STREAM.CREATE.{stream}"));
        if owned {
            publish.push(format!("$JS.API.STREAM.UPDATE.{stream}"));
            publish.push(bucket.kv_subject(">"));
        }
        // Reading a key, and watching or listing the bucket (an ordered consumer, which
        // deletes its old consumer when it starts over after a server went away).
        publish.push(format!("$JS.API.DIRECT.GET.{stream}"));
        publish.push(format!("$JS.API.DIRECT.GET.{stream}.>"));
        publish.push(format!("$JS.API.CONSUMER.CREATE.{stream}"));
        publish.push(format!("$JS.API.CONSUMER.CREATE.{stream}.>"));
        publish.push(format!("$JS.API.CONSUMER.DELETE.{stream}.>"));
        publish.push(format!("$JS.FC.{stream}.>"));
    }
    let mut subscribe = vec![format!("{}.>", inbox_prefix(service))];
    for notice in needs.notices {
        publish.push((*notice).to_owned());
        subscribe.push((*notice).to_owned());
    }
    Some(Permissions { publish, subscribe })
}

/// The NATS configuration that defines each service's permissions as a variable
/// (`ECOMMERCE_PERMISSIONS = {...}`), for a server configuration to `include` and give to its
/// users. Each value is JSON, which the NATS configuration format reads as it is.
pub fn render_conf() -> String {
    let mut conf = String::from(
        "# Generated from shared/contracts/src/permissions.rs (its test says how to regenerate\n\
         # it): what each service's NATS user may publish and subscribe to. Do not edit.\n",
    );
    for service in SERVICES {
        let Some(permissions) = of(service) else {
            continue;
        };
        let list = |subjects: &[String]| {
            let quoted: Vec<String> = subjects.iter().map(|s| format!("    \"{s}\"")).collect();
            quoted.join(",\n")
        };
        conf.push_str(&format!(
            "{}_PERMISSIONS = {{\n  \"publish\": [\n{}\n  ],\n  \"subscribe\": [\n{}\n  ]\n}}\n",
            service.to_ascii_uppercase(),
            list(&permissions.publish),
            list(&permissions.subscribe),
        ));
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_service_may_publish_anothers_events_or_delete_a_stream() {
        let ingest = of("ingest").unwrap();
        assert!(ingest.publish.contains(&"couriers.>".to_owned()));
        assert!(!ingest.publish.iter().any(|s| s.starts_with("orders")));
        assert!(!ingest.publish.iter().any(|s| s.starts_with("$KV.")));
        let metrics = of("metrics").unwrap();
        assert!(
            !metrics
                .publish
                .iter()
                .any(|s| !s.starts_with("$JS.") && s != METRICS_ROLLUPS_CHANGED),
            "metrics writes no event: {:?}",
            metrics.publish
        );
        for service in SERVICES {
            let permissions = of(service).unwrap();
            for subject in &permissions.publish {
                for forbidden in ["DELETE", "PURGE", "STREAM.MSG.DELETE"] {
                    assert!(
                        !subject.starts_with(&format!("$JS.API.STREAM.{forbidden}"))
                            && subject != "$JS.API.>"
                            && subject != ">",
                        "{service} may {subject}"
                    );
                }
            }
            assert_eq!(
                permissions.subscribe[0],
                format!("_INBOX_{service}.>"),
                "{service} hears only its own replies"
            );
        }
        assert_eq!(of("intruder"), None);
    }

    /// The shipped file is this module's output. To regenerate it after a change here:
    /// `UPDATE_NATS_PERMISSIONS=1 cargo test -p contracts permissions`.
    #[test]
    fn the_shipped_permissions_are_these() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/local/nats-permissions.conf"
        );
        let rendered = render_conf();
        if std::env::var_os("UPDATE_NATS_PERMISSIONS").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let shipped = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            shipped == rendered,
            "{path} differs from contracts::permissions; regenerate it with \
             UPDATE_NATS_PERMISSIONS=1 cargo test -p contracts permissions"
        );
    }
}
