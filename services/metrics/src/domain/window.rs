//! The time window a metric is asked over: `from` (inclusive) to `to` (exclusive), by default
//! the last 24 hours. Rollups are hourly, so the window covers the hours it touches.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::rollups::hour_of;

/// The longest window one question may cover.
pub const MAX_DAYS: i64 = 31;

/// Why an asked window is refused (both name `from`, the end a caller moves to fix it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("must be before to")]
    Empty,
    #[error("the window may span at most {MAX_DAYS} days")]
    TooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// Checks the asked window; absent ends default to the 24 hours before now.
    pub fn parse(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, WindowError> {
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - TimeDelta::hours(24));
        if from >= to {
            return Err(WindowError::Empty);
        }
        if to - from > TimeDelta::days(MAX_DAYS) {
            return Err(WindowError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// The first hour bucket the window touches.
    pub fn first_hour(&self) -> NaiveDateTime {
        hour_of(self.from)
    }

    /// The end of the window, for comparisons with hour buckets and stored times.
    pub fn end(&self) -> NaiveDateTime {
        self.to.naive_utc()
    }

    pub fn start(&self) -> NaiveDateTime {
        self.from.naive_utc()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn defaults_to_the_last_day_and_refuses_backward_or_huge_windows() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 30, 0).unwrap();
        let window = Window::parse(None, None, now).unwrap();
        assert_eq!(window.to - window.from, TimeDelta::hours(24));
        assert_eq!(
            Window::parse(Some(now), Some(now), now),
            Err(WindowError::Empty)
        );
        assert_eq!(
            Window::parse(Some(now - TimeDelta::days(40)), None, now),
            Err(WindowError::TooLong)
        );
        assert_eq!(
            window.first_hour(),
            Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
                .unwrap()
                .naive_utc()
        );
    }
}
