//! Rules both the settings and the domains apply, kept below both so that `config` reads
//! none of the modules it configures: every domain may read `config`, and `config` imports
//! only this module, [`crate::keys`] and [`crate::error`].
//!
//! - [`queues`]: queue names, and the seed's four standard queues.
//! - [`time_zone`]: IANA time zones by name, and this machine's.
//! - [`pool_bounds`]: the seed's `autoScaling` block and the sizes a pool may have.

pub mod pool_bounds;
pub mod queues;
pub mod time_zone;

pub use pool_bounds::{ScalingRules, POOL_HARD_CAP};
pub use queues::{validate_queue_name, STANDARD_QUEUES};
pub use time_zone::{machine_timezone, parse_timezone};

use crate::error::Error;

/// A refused input: the field and the rule it broke.
fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.into(),
    }
}
