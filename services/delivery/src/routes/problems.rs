//! How the workflows' errors are answered over HTTP: the one place where a delivery that could
//! not be created becomes a status code and a problem document. `delivery_flow` returns its own
//! error enum and knows nothing of HTTP; handlers answer it with `?`. (A courier report's
//! `MovedMeanwhile` reaches no handler: its consumer has the report redelivered.)

use platform::ApiError;

use crate::delivery_flow::DeliveryFlowError;

impl From<DeliveryFlowError> for ApiError {
    fn from(error: DeliveryFlowError) -> Self {
        match error {
            // The fleet may have a courier again soon: try again.
            DeliveryFlowError::NoCourier => ApiError::Unavailable(error.to_string()),
            DeliveryFlowError::MovedMeanwhile(_) => ApiError::conflict(error.to_string()),
            DeliveryFlowError::Database(error) => error.into(),
            DeliveryFlowError::Event(_) => ApiError::Internal(error.into()),
        }
    }
}
