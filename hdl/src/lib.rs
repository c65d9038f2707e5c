//! The FPTT LTC accelerator in rust-hdl: the neuron array, the FPTT update unit, the UART link
//! and board top-levels. Each block is checked bit for bit against the golden model in `fptt-sim`.
//!
//! Blocks so far (the first pieces of the forward datapath):
//! - [`mul18`]: registered signed 18x18 -> 36 multiplier (one ECP5 MULT18X18D);
//! - [`requant`]: round to nearest (ties up) and saturate a wide accumulator into 18 bits;
//! - [`sigmoid_rom`]: the sigmoid table in a synchronous ROM with piecewise-linear interpolation;
//! - [`surrogate_rom`]: the surrogate-gradient table, the same way;
//! - [`mac`]: one multiply-accumulate lane computing a dot product plus bias, requantised.
//!
//! [`word`] converts between rust-hdl words and `i64` codes; [`verify`] holds what the tests use
//! to clock a block in rust-hdl's simulator and to run its generated Verilog in Icarus Verilog.

pub use rust_hdl;

pub mod mac;
pub mod mul18;
pub mod requant;
pub mod sigmoid_rom;
pub mod surrogate_rom;
pub mod verify;
pub mod word;
