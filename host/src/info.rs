//! `fptt numerics` and `fptt budget`: what the accelerator's arithmetic is and what a
//! configuration needs on chip.

use crate::cli::OptimizerArg;
use anyhow::{ensure, Result};
use clap::Args;
use fptt_sim::fixed::budget::{budget, Budget};
use fptt_sim::fixed::Numerics;
use fptt_sim::model::Shape;

/// Arguments of `fptt numerics`.
#[derive(Clone, Debug, Args)]
pub struct NumericsArgs {
    /// Print the formats as JSON instead of the NUMERICS.md tables.
    #[arg(long)]
    pub json: bool,
}

/// Print the number formats (the generated part of NUMERICS.md).
pub fn numerics(args: &NumericsArgs) -> Result<()> {
    let n = Numerics::DEFAULT;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&n)?);
    } else {
        print!("{}", n.markdown());
    }
    Ok(())
}

/// Arguments of `fptt budget`.
#[derive(Clone, Debug, Args)]
pub struct BudgetArgs {
    /// Input channels I.
    #[arg(long)]
    pub inputs: usize,
    /// Hidden neurons H.
    #[arg(long)]
    pub hidden: usize,
    /// Outputs C.
    #[arg(long)]
    pub outputs: usize,
    /// Streams B whose neuron state is held on chip.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Optimiser (Adamax keeps two more words per parameter).
    #[arg(long, value_enum, default_value_t = OptimizerArg::Adamax)]
    pub optimizer: OptimizerArg,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Compute the memory budget.
pub fn run_budget(args: &BudgetArgs) -> Result<Budget> {
    ensure!(args.batch >= 1, "--batch must be at least 1");
    let shape = Shape::new(args.inputs, args.hidden, args.outputs)?;
    Ok(budget(&Numerics::DEFAULT, shape, args.batch, args.optimizer.into()))
}

/// Print a budget as text.
pub fn print_budget(b: &Budget) {
    let kbit = |bits: usize| bits as f64 / 1024.0;
    println!("parameters            {}", b.params);
    println!("bits per parameter    {} (W, W-bar, lambda, optimiser)", b.bits_per_param);
    println!("W                     {:.1} Kbit", kbit(b.weight_bits));
    println!("W-bar                 {:.1} Kbit", kbit(b.weight_avg_bits));
    println!("lambda                {:.1} Kbit", kbit(b.lambda_bits));
    println!("optimiser state       {:.1} Kbit", kbit(b.optimizer_bits));
    println!("neuron state          {:.1} Kbit", kbit(b.neuron_state_bits));
    println!("tables                {:.1} Kbit", kbit(b.table_bits));
    println!("EBR blocks (DP16KD)   {}", b.ebr_blocks);
    if b.fits.is_empty() {
        println!("fits in               no ECP5 part (largest: LFE5U-85F, 208 blocks)");
    } else {
        println!("fits in               {}", b.fits.join(", "));
    }
}
