//! The FPTT LTC accelerator in rust-hdl: the neuron array, the FPTT update unit, the UART link
//! and board top-levels. Each block is checked bit for bit against the golden model in `fptt-sim`.
//!
//! Blocks so far:
//! - [`mul18`]: registered signed multipliers, 18x18 -> 36 (one ECP5 MULT18X18D) and wider;
//! - [`requant`]: round to nearest (ties up) or floor, and saturate, a wide value into 18 bits
//!   (or any narrower format);
//! - [`shift_sum`]: the exact sum of three differently scaled terms, before one rounding;
//! - [`sigmoid_rom`]: the sigmoid table in a synchronous ROM with piecewise-linear interpolation;
//! - [`surrogate_rom`]: the surrogate-gradient table, the same way;
//! - [`mac`]: one multiply-accumulate lane computing a dot product plus bias, requantised by
//!   one of three selectable roundings, with a per-term pre-shift ([`shift_up`]) for z_a's
//!   mixed-scale terms;
//! - [`neuron`]: the element-wise neuron update (b, theta, v, s, u), pipelined;
//! - [`backward_neuron`]: the element-wise backward step of one neuron per cycle (d_v, dz_m,
//!   dz_a), pipelined: the first block of the on-chip update unit;
//! - [`output_error`]: the regression output error d_o = w_t (o - y) (or a given one) and the
//!   readout's element-wise backward step (dz_o), pipelined;
//! - [`exp_rom`] and [`softmax_error`]: the exponential table unit and the classification
//!   output error d_o = w_t (softmax(o) - onehot(y)) of one stream at a time;
//! - [`grad_mac`]: a parameter word's gradient summed exactly over the streams (delta x
//!   activation, shifted by the activation's kind);
//! - [`param_update`]: the FPTT update of one parameter word per cycle (mean gradient,
//!   regularised gradient, Adamax or SGD step, W, lambda, W-bar), with [`adamax_ratio`]'s
//!   m / u through the reciprocal table, pipelined;
//! - [`forward`]: one time step for up to B streams on L weight lanes ([`lane`]), weights,
//!   FPTT state and vectors banked per lane: the forward step (LTC layer and readout),
//!   bit-exact with `Kernel::forward`, and with `learn` the backward step and the FPTT update
//!   of every parameter word, bit-exact with `FixedLearner`, a commit of the average and a
//!   reset of the state; [`forward_sim`] drives it as a host does (in rust-hdl's simulator, or
//!   its generated Verilog in Verilator through [`verilator_driver`]), and [`rtl_learner`]
//!   puts it behind the training loop's `Learner` interface (`fptt train --backend rtl`);
//! - [`uart`]: the board link's byte layer, an 8N1 receiver ([`uart::UartRx`]: two-flop
//!   synchroniser, mid-bit sampling, glitch rejection, framing errors) and transmitter
//!   ([`uart::UartTx`]), the bit period a divisor of the clock fixed per instance, with
//!   cycle-exact Rust models;
//! - [`frame_rx`]: the frame receiver behind it, COBS decoding on the fly, CRC-16 of the
//!   payload ([`frame_rx::Crc16`]), the payload written byte by byte into a buffer and at each
//!   delimiter the verdict of `protocol::Decoder` (OK or its error code).
//!
//! [`protocol`] is the board link's framing and command map (PROTOCOL.md is generated from it);
//! [`frame_tx`] is the device's frame transmitter: a reply payload from its buffer (two EBRs)
//! out as `protocol::encode`'s bytes (CRC, COBS, delimiter), one per ready/valid handshake.
//!
//! [`engine`] is the command engine between the frame receiver, the training unit and three
//! frame transmitters (two hold the reply cache); [`device_top`] puts UART, frames, engine and
//! unit together, the whole device behind a board's serial pins, and [`device_sim`] runs it in
//! rust-hdl's simulator as a byte pipe.
//!
//! [`shift_up`] and [`widen`] sign-extend (and shift) words: rust-hdl's `signed_bit_cast`
//! recurses forever on the most negative code. [`word`] converts between rust-hdl words and
//! `i64` codes; [`verify`] holds what the tests use to clock a block in rust-hdl's simulator
//! and to run its generated Verilog in Icarus Verilog or Verilator; [`lint`] runs Verilator's
//! lint on it.

pub use rust_hdl;

pub mod adamax_ratio;
pub mod backward_neuron;
pub mod board_top;
pub mod device_sim;
pub mod device_top;
pub mod engine;
pub mod exp_rom;
pub mod forward;
pub mod forward_sim;
pub mod frame_rx;
pub mod frame_tx;
pub mod grad_mac;
pub mod lane;
pub mod lint;
pub mod mac;
pub mod messages;
pub mod mul18;
pub mod neuron;
pub mod output_error;
pub mod param_update;
pub mod protocol;
pub mod requant;
pub mod rtl_learner;
pub mod shift_sum;
pub mod shift_up;
pub mod sigmoid_rom;
pub mod softmax_error;
pub mod surrogate_rom;
pub mod uart;
pub mod verify;
pub mod verilator_driver;
pub mod widen;
pub mod word;
