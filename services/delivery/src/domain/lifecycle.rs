//! How the status worker moves a delivery (seed 004 item 3):
//! READY_FOR_PICK_UP -> IN_ORIGIN -> IN_ROUTE_OF_DELIVERY -> DELIVERED or NOT_DELIVERED (50/50);
//! NOT_DELIVERED goes back to IN_ROUTE_OF_DELIVERY; DELIVERED is final.

use contracts::deliveries::DeliveryStatus;
use rand::Rng;

/// The status a delivery moves to in one worker step; `None` once delivered. `coin` is asked
/// only at IN_ROUTE_OF_DELIVERY, where `true` means the courier delivered.
pub fn next_status(from: DeliveryStatus, coin: impl FnOnce() -> bool) -> Option<DeliveryStatus> {
    use DeliveryStatus::*;
    match from {
        ReadyForPickUp => Some(InOrigin),
        InOrigin => Some(InRouteOfDelivery),
        InRouteOfDelivery if coin() => Some(Delivered),
        InRouteOfDelivery => Some(NotDelivered),
        NotDelivered => Some(InRouteOfDelivery),
        Delivered => None,
    }
}

/// The 50/50 draw: seeded for reproducible runs, from the operating system otherwise.
pub struct Coin(rand::rngs::SmallRng);

impl Coin {
    pub fn new(seed: Option<u64>) -> Self {
        use rand::SeedableRng;
        Self(match seed {
            Some(seed) => rand::rngs::SmallRng::seed_from_u64(seed),
            None => rand::rngs::SmallRng::from_os_rng(),
        })
    }

    pub fn flip(&mut self) -> bool {
        self.0.random_bool(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    #[test]
    fn statuses_follow_the_seed_order() {
        assert_eq!(
            next_status(ReadyForPickUp, || unreachable!()),
            Some(InOrigin)
        );
        assert_eq!(
            next_status(InOrigin, || unreachable!()),
            Some(InRouteOfDelivery)
        );
        assert_eq!(next_status(InRouteOfDelivery, || true), Some(Delivered));
        assert_eq!(next_status(InRouteOfDelivery, || false), Some(NotDelivered));
        assert_eq!(
            next_status(NotDelivered, || unreachable!()),
            Some(InRouteOfDelivery)
        );
        assert_eq!(next_status(Delivered, || unreachable!()), None);
    }

    #[test]
    fn the_coin_is_fair_and_reproducible_with_a_seed() {
        let draws = |seed| {
            let mut coin = Coin::new(Some(seed));
            (0..1000).map(|_| coin.flip()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let heads = draws(7).into_iter().filter(|d| *d).count();
        assert!((450..=550).contains(&heads), "{heads} of 1000");
    }
}
