//! Ids typed where two kinds of id sit side by side (all are text): an order's and the acting
//! user's, a seller's and its product's. JSON and the database see the text itself.

platform::text_id! {
    /// An order's id.
    OrderId
}

platform::text_id! {
    /// A seller's id: typed so that it cannot be passed for the id of one of its products,
    /// portfolios or orders beside it.
    SellerId
}
