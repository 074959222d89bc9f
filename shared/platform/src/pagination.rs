//! Offset pagination shared by every list endpoint: `?limit=50&offset=0`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl PageQuery {
    /// The validated `(limit, offset)`.
    pub fn bounds(self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset < 0 {
            return Err(ApiError::invalid("offset", "must not be negative"));
        }
        Ok((limit, offset))
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T> Page<T> {
    /// A page of `items` out of `total`, for the `(limit, offset)` asked for.
    pub fn new(items: Vec<T>, total: i64, (limit, offset): (i64, i64)) -> Self {
        Self {
            items,
            total,
            limit,
            offset,
        }
    }

    /// A page of stored `rows`, each turned into its response type.
    pub fn from_rows<R: Into<T>>(rows: Vec<R>, total: i64, bounds: (i64, i64)) -> Self {
        Self::new(rows.into_iter().map(Into::into).collect(), total, bounds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_default_and_refuse_out_of_range_values() {
        assert_eq!(PageQuery::default().bounds().unwrap(), (50, 0));
        assert!(
            PageQuery {
                limit: Some(0),
                offset: None
            }
            .bounds()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: Some(201),
                offset: None
            }
            .bounds()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: None,
                offset: Some(-1)
            }
            .bounds()
            .is_err()
        );
    }
}
