//! Verilator lint (`verilator --lint-only -Wall`) of every block's generated Verilog.
//!
//! The leaf blocks, whose Verilog is hand-written (`Verilog::Custom`), must be clean with no
//! waivers at all; the composite blocks, which add rust-hdl's generated glue, must be clean
//! with only the waivers in `fptt_hdl::lint::LINT_WAIVERS`.

use fptt_hdl::adamax_ratio::{AdamaxRatio, Normalize, RoundShift};
use fptt_hdl::backward_neuron::BackwardNeuron;
use fptt_hdl::device_top::{device_info, info_payload};
use fptt_hdl::engine::Engine;
use fptt_hdl::exp_rom::ExpRom;
use fptt_hdl::forward::ForwardStep;
use fptt_hdl::frame_rx::{Crc16, FrameRx};
use fptt_hdl::frame_tx::FrameTx;
use fptt_hdl::grad_mac::GradMac;
use fptt_hdl::lint::{verilator_available, verilator_lint, verilator_lint_with, verilator_version, LINT_WAIVERS};
use fptt_hdl::mac::Mac;
use fptt_hdl::mul18::{Mul, Mul18};
use fptt_hdl::neuron::NeuronUpdate;
use fptt_hdl::output_error::OutputError;
use fptt_hdl::param_update::ParamUpdate;
use fptt_hdl::requant::{Narrow, Requant};
use fptt_hdl::shift_sum::{ShiftSum, Term};
use fptt_hdl::shift_up::ShiftUp;
use fptt_hdl::sigmoid_rom::SigmoidRom;
use fptt_hdl::softmax_error::SoftmaxError;
use fptt_hdl::surrogate_rom::SurrogateRom;
use fptt_hdl::uart::{UartRx, UartTx, MIN_DIVISOR};
use fptt_hdl::verify::{on_big_stack, verilog_of};
use fptt_hdl::widen::Widen;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::Shape;

/// The `ForwardStep` instance linted: adapt here when its parameters change.
fn forward_step_verilog() -> String {
    on_big_stack(|| verilog_of(ForwardStep::<2, 4>::new(Shape::new(3, 6, 2).unwrap())))
}

/// The command engine, for a 4-lane unit of 16 streams.
fn engine_verilog() -> String {
    let info = device_info(4, 16, 25_000_000);
    verilog_of(Engine::new(4, 64, 16, &info_payload(&info)))
}

/// Hand-written leaf blocks, in the instances the datapath uses (accumulator widths and
/// shifts of the MAC lane, the ROM units and the neuron pipeline; sign extensions).
fn leaf_blocks() -> Vec<(&'static str, String)> {
    vec![
        ("mul18", verilog_of(Mul18::default())),
        ("requant_48_14", verilog_of(Requant::<48>::new(14))),
        ("requant_36_8", verilog_of(Requant::<36>::new(8))),
        ("requant_36_6", verilog_of(Requant::<36>::new(6))),
        ("requant_19_0", verilog_of(Requant::<19>::new(0))),
        ("requant_20_0", verilog_of(Requant::<20>::new(0))),
        ("shift_up_36_48_4", verilog_of(ShiftUp::<36, 48>::new(4))),
        ("shift_up_36_48_0", verilog_of(ShiftUp::<36, 48>::new(0))),
        ("widen_18_19", verilog_of(Widen::<18, 19>::default())),
        ("widen_18_20", verilog_of(Widen::<18, 20>::default())),
        ("widen_18_18", verilog_of(Widen::<18, 18>::default())),
        ("mul_44_18", verilog_of(Mul::<44, 18, 62>::default())),
        ("narrow_48_27", verilog_of(Narrow::<48, 27>::new(16))),
        ("narrow_36_18_floor", verilog_of(Narrow::<36, 18>::floor(16))),
        ("shift_sum", verilog_of(ShiftSum::<18, 18, 46, 48>::new([Term::add(20), Term::sub(19), Term::add(0)]))),
        ("shift_sum_1", verilog_of(ShiftSum::<27, 27, 1, 28>::new([Term::add(0), Term::sub(0), Term::add(0)]))),
        ("normalize", verilog_of(Normalize::default())),
        ("round_shift", verilog_of(RoundShift::default())),
        ("crc16", verilog_of(Crc16::default())),
    ]
}

/// Blocks built from others with rust-hdl's generated glue.
fn composite_blocks() -> Vec<(&'static str, String)> {
    vec![
        ("mac", verilog_of(Mac::<2>::with_shifts([14, 12, 16], 4))),
        ("sigmoid_rom", verilog_of(SigmoidRom::new())),
        ("exp_rom", verilog_of(ExpRom::new())),
        ("softmax_error", verilog_of(SoftmaxError::new())),
        ("surrogate_rom", verilog_of(SurrogateRom::new())),
        ("neuron_update", verilog_of(NeuronUpdate::new())),
        ("backward_neuron", verilog_of(BackwardNeuron::new())),
        ("output_error", verilog_of(OutputError::new())),
        ("adamax_ratio", verilog_of(AdamaxRatio::with(Numerics::DEFAULT))),
        ("param_update", verilog_of(ParamUpdate::new())),
        ("grad_mac", verilog_of(GradMac::default())),
        ("uart_rx", verilog_of(UartRx::new(25_000_000, 115_200))),
        ("uart_tx", verilog_of(UartTx::new(25_000_000, 115_200))),
        ("uart_rx_min", verilog_of(UartRx::with_divisor(MIN_DIVISOR))),
        ("uart_tx_min", verilog_of(UartTx::with_divisor(MIN_DIVISOR))),
        ("frame_rx", verilog_of(FrameRx::new())),
        ("frame_tx", verilog_of(FrameTx::default())),
        ("forward_step", forward_step_verilog()),
        ("engine", engine_verilog()),
    ]
}

#[test]
fn generated_verilog_is_verilator_lint_clean() {
    if !verilator_available("generated_verilog_is_verilator_lint_clean") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lint");
    let mut failures = vec![];
    let mut names = vec![];
    for (name, v) in leaf_blocks() {
        failures.extend(verilator_lint_with(&dir.join(name), &v, &[]).err());
        names.push(name);
    }
    for (name, v) in composite_blocks() {
        failures.extend(verilator_lint(&dir.join(name), &v).err());
        names.push(name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} blocks not lint clean:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
    let waived: Vec<&str> = LINT_WAIVERS.iter().map(|(flag, _)| *flag).collect();
    println!(
        "verilator lint -Wall clean: {} (leaf blocks with no waivers; composites with {}); {}",
        names.join(", "),
        waived.join(" "),
        verilator_version().unwrap_or_default()
    );
}
