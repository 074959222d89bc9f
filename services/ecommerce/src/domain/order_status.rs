//! The order lifecycle: created -> confirmed -> dispatched -> delivered; cancelled.
//!
//! [`transition`] holds every rule; every status change of the service goes through it.

use contracts::orders::OrderStatus;

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The marketplace user who bought the order.
    Buyer,
    /// A user of the order's seller.
    Seller,
    Admin,
    /// The delivery service, through its webhook (the only way to `delivered`).
    Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor may never ask for this status (403).
    #[error("{actor:?} may not set orders to {}", to.as_str())]
    NotPermitted { actor: Actor, to: OrderStatus },
    /// The status cannot follow the current one for this actor (409).
    #[error("an order that is {} cannot become {}{}", from.as_str(), to.as_str(), hint(*actor, *from, *to))]
    Refused {
        actor: Actor,
        from: OrderStatus,
        to: OrderStatus,
    },
}

fn hint(actor: Actor, from: OrderStatus, to: OrderStatus) -> &'static str {
    match (actor, from, to) {
        (Actor::Buyer, OrderStatus::Confirmed, OrderStatus::Cancelled) => {
            " by its buyer once the seller confirmed it; the marketplace admin can still cancel it"
        }
        _ => "",
    }
}

/// Who may ask for each status at all.
fn may_request(actor: Actor, to: OrderStatus) -> bool {
    use OrderStatus::*;
    match to {
        Created => false,
        Confirmed | Dispatched => actor == Actor::Seller,
        Delivered => actor == Actor::Delivery,
        Cancelled => matches!(actor, Actor::Buyer | Actor::Admin),
    }
}

/// The status an order moves to when `actor` asks for `to` while it is `from`.
pub fn transition(
    from: OrderStatus,
    to: OrderStatus,
    actor: Actor,
) -> Result<OrderStatus, TransitionError> {
    use OrderStatus::*;
    if !may_request(actor, to) {
        return Err(TransitionError::NotPermitted { actor, to });
    }
    let allowed = match (from, to) {
        (Created, Confirmed) | (Confirmed, Dispatched) | (Dispatched, Delivered) => true,
        (Created, Cancelled) => true,
        // Once the seller confirmed, only the marketplace admin may still cancel.
        (Confirmed, Cancelled) => actor == Actor::Admin,
        _ => false,
    };
    if allowed {
        Ok(to)
    } else {
        Err(TransitionError::Refused { actor, from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn the_happy_path_runs_created_to_delivered() {
        assert_eq!(transition(Created, Confirmed, Actor::Seller), Ok(Confirmed));
        assert_eq!(
            transition(Confirmed, Dispatched, Actor::Seller),
            Ok(Dispatched)
        );
        assert_eq!(
            transition(Dispatched, Delivered, Actor::Delivery),
            Ok(Delivered)
        );
    }

    #[test]
    fn buyers_cancel_only_created_orders_and_admins_also_confirmed_ones() {
        assert_eq!(transition(Created, Cancelled, Actor::Buyer), Ok(Cancelled));
        assert!(matches!(
            transition(Confirmed, Cancelled, Actor::Buyer),
            Err(TransitionError::Refused { .. })
        ));
        assert_eq!(
            transition(Confirmed, Cancelled, Actor::Admin),
            Ok(Cancelled)
        );
        assert!(matches!(
            transition(Dispatched, Cancelled, Actor::Admin),
            Err(TransitionError::Refused { .. })
        ));
    }

    #[test]
    fn nobody_but_delivery_sets_delivered() {
        for actor in [Actor::Buyer, Actor::Seller, Actor::Admin] {
            assert!(matches!(
                transition(Dispatched, Delivered, actor),
                Err(TransitionError::NotPermitted { .. })
            ));
        }
    }

    #[test]
    fn final_and_skipped_statuses_are_refused() {
        for from in [Delivered, Cancelled] {
            for to in [Confirmed, Dispatched, Cancelled] {
                let actor = if to == Cancelled {
                    Actor::Admin
                } else {
                    Actor::Seller
                };
                assert!(transition(from, to, actor).is_err(), "{from:?} -> {to:?}");
            }
        }
        assert!(transition(Created, Dispatched, Actor::Seller).is_err());
        assert!(transition(Created, Delivered, Actor::Delivery).is_err());
        assert!(matches!(
            transition(Created, Cancelled, Actor::Seller),
            Err(TransitionError::NotPermitted { .. })
        ));
    }

    #[test]
    fn a_refusal_names_the_current_status() {
        let error = transition(Dispatched, Confirmed, Actor::Seller).unwrap_err();
        assert!(error.to_string().contains("dispatched"), "{error}");
        let buyer = transition(Confirmed, Cancelled, Actor::Buyer).unwrap_err();
        assert!(buyer.to_string().contains("confirmed"), "{buyer}");
    }
}
