//! The FPTT LTC accelerator in rust-hdl: the neuron array, the FPTT update unit, the UART link
//! and board top-levels. Each block is checked bit for bit against the golden model in `fptt-sim`.

pub use rust_hdl;
