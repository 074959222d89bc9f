//! JetStream streams and KV buckets of the platform, with the owner of each.
//!
//! Names here are the production names, and every subject a service writes to is built here or
//! in the module of its payload (`orders::subject`, `deliveries::subject`...). A [`Namespace`]
//! prefixes them, in one place each ([`crate::streams::Namespace::resolve`] for what the outbox
//! publishes), so that several test runs can share one NATS server without seeing each other's
//! messages, and no workflow needs to know the namespace.

/// A JetStream stream: its name and the subjects it captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: &'static str,
    /// Subject prefix: the stream captures `<prefix>.>`.
    pub subject_prefix: &'static str,
    pub description: &'static str,
}

/// `orders.<status>`, written by ecommerce.
pub const ORDERS: StreamSpec = StreamSpec {
    name: "ORDERS",
    subject_prefix: "orders",
    description: "Order status changes, written by ecommerce",
};

/// `deliveries.status.<STATUS>`, written by delivery.
pub const DELIVERIES: StreamSpec = StreamSpec {
    name: "DELIVERIES",
    subject_prefix: "deliveries",
    description: "Delivery status changes, written by delivery",
};

/// `couriers.reports`, written by ingest.
pub const COURIER_REPORTS: StreamSpec = StreamSpec {
    name: "COURIER_REPORTS",
    subject_prefix: "couriers",
    description: "Delivered-order reports from couriers' devices, written by ingest",
};

impl StreamSpec {
    /// The production subject `<prefix>.<suffix>` of this stream.
    pub fn subject(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.subject_prefix)
    }
}

/// A KV bucket of reference data with a single owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpec {
    pub name: &'static str,
    pub description: &'static str,
}

/// Products by SKU ([`crate::catalog::CatalogProduct`]), written by ecommerce.
pub const CATALOG: BucketSpec = BucketSpec {
    name: "catalog",
    description: "Products by SKU, owned by ecommerce",
};

/// Couriers by id, written by delivery.
pub const COURIERS: BucketSpec = BucketSpec {
    name: "couriers",
    description: "Couriers by id, owned by delivery",
};

/// Token generations of users whose access changed ([`crate::user_access::UserAccess`]) by
/// user id, written by ecommerce and followed by every service that checks tokens.
pub const USER_ACCESS: BucketSpec = BucketSpec {
    name: "user_access",
    description: "Token generations of users whose access changed, owned by ecommerce",
};

impl BucketSpec {
    /// The production subject a KV write of `key` is stored under (`$KV.<bucket>.<key>`), for
    /// publishing KV writes through the outbox.
    pub fn kv_subject(&self, key: &str) -> String {
        format!("{KV_PREFIX}{}.{key}", self.name)
    }
}

/// What JetStream's KV subjects start with.
const KV_PREFIX: &str = "$KV.";

/// Where a production subject is stored: an event stream, or a KV bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Stream(StreamSpec),
    Bucket(BucketSpec),
}

/// The stream or bucket of the platform that stores `subject` (a production subject, as
/// `contracts` builds it), for a publisher that finds it missing and makes it again.
pub fn home_of(subject: &str) -> Option<Home> {
    if let Some(bucket_and_key) = subject.strip_prefix(KV_PREFIX) {
        let bucket = bucket_and_key.split('.').next()?;
        return [CATALOG, COURIERS, USER_ACCESS]
            .into_iter()
            .find(|spec| spec.name == bucket)
            .map(Home::Bucket);
    }
    let prefix = subject.split('.').next()?;
    [ORDERS, DELIVERIES, COURIER_REPORTS]
        .into_iter()
        .find(|spec| spec.subject_prefix == prefix)
        .map(Home::Stream)
}

/// Prefix for every stream, subject and bucket name, empty in production.
///
/// Tests that share a NATS server give each test its own namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// `prefix` must be a valid NATS token made of ASCII letters, digits, `-` and `_`.
    pub fn new(prefix: impl Into<String>) -> Result<Self, String> {
        let prefix = prefix.into();
        let valid = prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(prefix))
        } else {
            Err(format!(
                "namespace {prefix:?} may only hold ASCII letters, digits, '-' and '_'"
            ))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn stream_name(&self, stream: &StreamSpec) -> String {
        self.join(stream.name, "_")
    }

    /// The subject `<prefix>.<suffix>` of a stream, namespaced. Private: other crates take a
    /// production subject from contracts (`orders::subject(status)`, ...) and [`Self::resolve`]
    /// it, so no one spells a subject by hand.
    fn subject(&self, stream: &StreamSpec, suffix: &str) -> String {
        self.join(&format!("{}.{suffix}", stream.subject_prefix), ".")
    }

    /// The wildcard subject a stream captures.
    pub fn stream_subjects(&self, stream: &StreamSpec) -> String {
        self.subject(stream, ">")
    }

    /// A core NATS subject outside every stream (a notice no one needs to replay), namespaced.
    pub fn notice_subject(&self, notice: &str) -> String {
        self.join(notice, ".")
    }

    /// A durable consumer's name; consumer names may not hold `.`, so the prefix joins with `_`.
    pub fn consumer_name(&self, name: &str) -> String {
        self.join(name, "_")
    }

    pub fn bucket_name(&self, bucket: &BucketSpec) -> String {
        self.join(bucket.name, "_")
    }

    /// A production subject (as [`StreamSpec::subject`] or [`BucketSpec::kv_subject`] build
    /// it) in this namespace: a KV subject gets its bucket's namespaced name, any other the
    /// prefix. The outbox stores production subjects and its relay resolves them, so what a
    /// workflow writes does not depend on the namespace.
    pub fn resolve(&self, subject: &str) -> String {
        match subject.strip_prefix(KV_PREFIX) {
            Some(bucket_and_key) if !self.is_empty() => {
                format!("{KV_PREFIX}{}_{bucket_and_key}", self.0)
            }
            _ => self.join(subject, "."),
        }
    }

    fn join(&self, name: &str, separator: &str) -> String {
        if self.0.is_empty() {
            name.to_owned()
        } else {
            format!("{}{separator}{name}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliveries::DeliveryStatus;
    use crate::orders::OrderStatus;

    /// Producers and consumers (and tests) all build subjects here, so only this test holds
    /// the names other systems see on the wire: a rename fails it.
    #[test]
    fn every_subject_keeps_its_wire_name() {
        let orders: Vec<String> = OrderStatus::ALL
            .into_iter()
            .map(crate::orders::subject)
            .collect();
        assert_eq!(
            orders,
            [
                "orders.created",
                "orders.confirmed",
                "orders.dispatched",
                "orders.delivered",
                "orders.cancelled"
            ]
        );
        assert_eq!(crate::orders::every_change(), "orders.>");
        assert_eq!(
            crate::deliveries::subject(DeliveryStatus::ReadyForPickUp),
            "deliveries.status.READY_FOR_PICK_UP"
        );
        assert_eq!(
            crate::deliveries::subject(DeliveryStatus::Delivered),
            "deliveries.status.DELIVERED"
        );
        assert_eq!(crate::deliveries::every_change(), "deliveries.status.>");
        assert_eq!(crate::courier_reports::subject(), "couriers.reports");
        assert_eq!(CATALOG.kv_subject("pk0001"), "$KV.catalog.pk0001");
    }

    #[test]
    fn every_subject_has_its_home() {
        assert_eq!(
            home_of(&crate::orders::subject(OrderStatus::Created)),
            Some(Home::Stream(ORDERS))
        );
        assert_eq!(
            home_of(&crate::deliveries::subject(DeliveryStatus::Delivered)),
            Some(Home::Stream(DELIVERIES))
        );
        assert_eq!(
            home_of(&crate::courier_reports::subject()),
            Some(Home::Stream(COURIER_REPORTS))
        );
        assert_eq!(
            home_of(&CATALOG.kv_subject("pk0001")),
            Some(Home::Bucket(CATALOG))
        );
        assert_eq!(
            home_of(&COURIERS.kv_subject("101")),
            Some(Home::Bucket(COURIERS))
        );
        assert_eq!(home_of("somewhere.else"), None);
        assert_eq!(home_of("$KV.unknown.key"), None);
    }

    #[test]
    fn production_names_are_unprefixed() {
        let ns = Namespace::default();
        assert_eq!(ns.stream_name(&ORDERS), "ORDERS");
        assert_eq!(ns.subject(&ORDERS, "created"), "orders.created");
        assert_eq!(ns.stream_subjects(&DELIVERIES), "deliveries.>");
        assert_eq!(CATALOG.kv_subject("pk0001"), "$KV.catalog.pk0001");
        assert_eq!(ns.resolve("orders.created"), "orders.created");
        assert_eq!(ns.resolve("$KV.catalog.pk0001"), "$KV.catalog.pk0001");
    }

    #[test]
    fn a_namespace_prefixes_every_name() {
        let ns = Namespace::new("t42").unwrap();
        assert_eq!(ns.stream_name(&ORDERS), "t42_ORDERS");
        assert_eq!(
            ns.subject(&COURIER_REPORTS, "reports"),
            "t42.couriers.reports"
        );
        assert_eq!(ns.bucket_name(&CATALOG), "t42_catalog");
        assert_eq!(
            ns.resolve(&CATALOG.kv_subject("pk1")),
            "$KV.t42_catalog.pk1"
        );
        assert_eq!(
            ns.resolve(&ORDERS.subject("created")),
            ns.subject(&ORDERS, "created")
        );
        assert_eq!(
            ns.notice_subject(crate::notices::WEBHOOK_SUBSCRIPTION_CHANGED),
            "t42.webhooks.subscriptions.changed"
        );
    }

    #[test]
    fn a_namespace_with_subject_separators_is_refused() {
        assert!(Namespace::new("a.b").is_err());
        assert!(Namespace::new("a b").is_err());
        assert!(Namespace::new("*").is_err());
    }
}
