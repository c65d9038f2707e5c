//! Reference models of the FPTT LTC accelerator.
//!
//! - [`float`]: the float model of one LTC spiking layer with a liquid readout and its
//!   one-step backward pass;
//! - [`fixed`]: the bit-exact fixed-point golden model of the accelerator;
//! - [`fptt`]: the FPTT parameter update (SGD or Adamax);
//! - [`bptt`]: truncation-free BPTT of the float model, the baseline;
//! - [`learner`]: the interface every backend offers the training loop;
//! - [`tasks`] and [`train`]: the add task, the classification tasks over the datasets and the
//!   online training loop;
//! - [`data`]: loaders of the real datasets (Fashion-MNIST, MNIST, JapaneseVowels).

pub mod bptt;
pub mod data;
pub mod fixed;
pub mod float;
pub mod fptt;
pub mod learner;
pub mod loss;
pub mod model;
pub mod rng;
pub mod surrogate;
pub mod tasks;
pub mod train;
