//! A delivery's id, typed so that it cannot be passed for the tracking number, the foreign
//! order id or the creator beside it (all are text). JSON and the database see the text itself.

platform::text_id! {
    /// A delivery's id.
    DeliveryId
}
