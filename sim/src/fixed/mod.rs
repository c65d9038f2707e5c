//! The bit-exact fixed-point golden model: exactly what the accelerator computes.
//!
//! - [`fmt`]: formats, rounding and saturation;
//! - [`numerics`]: the formats of every quantity (the one source of truth; NUMERICS.md is
//!   generated from it);
//! - [`tables`]: sigmoid, surrogate-gradient and reciprocal tables (the RTL's ROM contents);
//! - [`model`]: forward step and one-step backward pass;
//! - [`update`]: the FPTT parameter update and commit average;
//! - [`budget`]: on-chip memory of a configuration against the ECP5 parts;
//! - [`learner`]: all of it behind the [`crate::learner::Learner`] interface.

pub mod budget;
pub mod fmt;
pub mod learner;
pub mod model;
pub mod numerics;
pub mod tables;
pub mod update;

pub use fmt::Fmt;
pub use learner::FixedLearner;
pub use numerics::Numerics;
