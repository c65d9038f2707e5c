//! On-chip memory needed by a network: the parameter words and their FPTT and optimiser
//! state, the neuron state of B streams and the ROM tables, against the ECP5 parts' EBR.

use super::numerics::Numerics;
use super::tables::{reciprocal_table, SIGMOID_SEGMENTS, SURROGATE_SEGMENTS};
use crate::fptt::Optimizer;
use crate::model::{Layout, Shape};
use serde::Serialize;

/// An ECP5 part's block RAM (datasheet FPGA-DS-02012).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Part {
    /// Name.
    pub name: &'static str,
    /// DP16KD blocks (18 Kbit each: 1K x 18 or 512 x 36).
    pub ebr_blocks: usize,
    /// 18x18 multipliers.
    pub multipliers: usize,
}

/// The ECP5 parts the project targets.
pub const PARTS: [Part; 4] = [
    Part { name: "LFE5U-12F", ebr_blocks: 32, multipliers: 28 },
    Part { name: "LFE5U-25F", ebr_blocks: 56, multipliers: 28 },
    Part { name: "LFE5U-45F", ebr_blocks: 108, multipliers: 72 },
    Part { name: "LFE5U-85F", ebr_blocks: 208, multipliers: 156 },
];

/// Words of one EBR block at 36 bits wide.
pub const EBR_WORDS_36: usize = 512;
/// Bits of one EBR block.
pub const EBR_BITS: usize = 18 * 1024;

/// The memory budget of one configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    /// Parameters (words of W).
    pub params: usize,
    /// Bits of one parameter word with its state: W + W-bar + lambda (+ Adamax m, u).
    pub bits_per_param: u32,
    /// Bits of W.
    pub weight_bits: usize,
    /// Bits of W-bar.
    pub weight_avg_bits: usize,
    /// Bits of lambda.
    pub lambda_bits: usize,
    /// Bits of the optimiser's state.
    pub optimizer_bits: usize,
    /// Bits of the neuron state of B streams (u, s, b per neuron; o per output).
    pub neuron_state_bits: usize,
    /// Bits of the sigmoid, surrogate and reciprocal ROMs.
    pub table_bits: usize,
    /// EBR blocks when each parameter word is stored as ceil(bits/36) 36-bit words and the
    /// neuron state and each table take whole blocks.
    pub ebr_blocks: usize,
    /// The parts whose EBR holds it.
    pub fits: Vec<&'static str>,
}

/// The budget of `shape` with B = `batch` streams.
pub fn budget(n: &Numerics, shape: Shape, batch: usize, optimizer: Optimizer) -> Budget {
    let params = Layout::new(shape).len();
    let opt = match optimizer {
        Optimizer::Sgd => 0,
        Optimizer::Adamax => 2 * n.grad.bits,
    };
    let bits_per_param = n.weight.bits + n.weight_avg.bits + n.lambda.bits + opt;
    let neuron_state_bits =
        batch * (shape.hidden * (n.state.bits + 1 + n.gate.bits) as usize + shape.outputs * n.state.bits as usize);
    let table_bits =
        (SIGMOID_SEGMENTS + 1 + SURROGATE_SEGMENTS + 1) * n.gate.bits as usize + reciprocal_table().len() * 17;
    let words = params * bits_per_param.div_ceil(36) as usize;
    let ebr_blocks = words.div_ceil(EBR_WORDS_36) + neuron_state_bits.div_ceil(EBR_BITS) + 3;
    Budget {
        params,
        bits_per_param,
        weight_bits: params * n.weight.bits as usize,
        weight_avg_bits: params * n.weight_avg.bits as usize,
        lambda_bits: params * n.lambda.bits as usize,
        optimizer_bits: params * opt as usize,
        neuron_state_bits,
        table_bits,
        ebr_blocks,
        fits: PARTS.iter().filter(|p| p.ebr_blocks >= ebr_blocks).map(|p| p.name).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_task_network_budget() {
        let b = budget(&Numerics::DEFAULT, Shape::new(2, 64, 1).unwrap(), 32, Optimizer::Adamax);
        assert_eq!(b.params, 20_868);
        // 27 + 27 + 18 + 18 + 18 = 108 bits = three 36-bit words per parameter
        assert_eq!(b.bits_per_param, 108);
        assert_eq!(b.ebr_blocks, (3 * 20_868usize).div_ceil(512) + (32 * (64 * 37 + 18usize)).div_ceil(18 * 1024) + 3);
        assert_eq!(b.fits, vec!["LFE5U-85F"]);
        let small = budget(&Numerics::DEFAULT, Shape::new(2, 16, 1).unwrap(), 1, Optimizer::Sgd);
        assert_eq!(small.fits.len(), 4);
    }
}
