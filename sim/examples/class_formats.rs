//! Trains Fashion-MNIST rows with the golden model under a variation of the number formats and
//! prints the test accuracy after each pass: does a wider format close fixed point's gap to
//! float on a real task (issue 8)? The settings are `fptt train --task fmnist-rows --hidden 64
//! --batch 32 --lr 1e-2`'s (Adamax, cosine to 3 %, a = 0.1, beta_f = 0.5, clip 1, step weights
//! (t+1)/T, plain initialisation, seed 1).
//!
//! cargo run --release -p fptt-sim --example class_formats -- VARIANT [passes] [train-limit]
//! (VARIANT: one of the names in `variants` below, e.g. default, earlier, wide, grad, g18l20;
//! defaults 12 passes, all 60,000 images; needs `./scripts/fetch-data.sh fmnist`)

use fptt_sim::data::{data_root, fashion_mnist, Layout, Source};
use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::fptt::FpttConfig;
use fptt_sim::model::{init_params_with, InitOptions, Shape};
use fptt_sim::train::{train_classes, LrSchedule, StepWeight, TrainPlan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let variant = args.first().map(String::as_str).unwrap_or("wide");
    let passes = args.get(1).map_or(12, |s| s.parse().expect("passes"));
    let limit = args.get(2).map_or(usize::MAX, |s| s.parse().expect("train limit"));
    // the variants change the earlier defaults (results/issue8.md's tables)
    let d = Numerics::EARLIER;
    let variants = [
        ("default", Numerics::DEFAULT),
        ("earlier", d),
        ("wide", Numerics::WIDE),
        ("state", Numerics { state: Fmt::new(24, 18), ..d }),
        ("deltas", Numerics { delta: Fmt::new(24, 20), grad: Fmt::new(24, 22), lambda: Fmt::new(24, 22), ..d }),
        ("delta", Numerics { delta: Fmt::new(24, 20), ..d }),
        ("grad", Numerics { grad: Fmt::new(24, 22), ..d }),
        ("lambda", Numerics { lambda: Fmt::new(24, 22), ..d }),
        ("update", Numerics { grad: Fmt::new(24, 22), lambda: Fmt::new(24, 22), ..d }),
        ("update18", Numerics { grad: Fmt::new(18, 20), lambda: Fmt::new(18, 22), ..d }),
        ("tuned", Numerics { grad: Fmt::new(18, 20), lambda: Fmt::new(18, 22), delta: Fmt::new(18, 17), ..d }),
        ("g19l20", Numerics { grad: Fmt::new(18, 19), lambda: Fmt::new(18, 20), ..d }),
        ("g18l20", Numerics { grad: Fmt::new(18, 18), lambda: Fmt::new(18, 20), ..d }),
        ("operand", Numerics { operand_bits: 27, ..d }),
    ];
    let Some(&(_, numerics)) = variants.iter().find(|(name, _)| *name == variant) else {
        let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
        panic!("unknown variant {variant}: {}", names.join(" | "));
    };
    let data = fashion_mnist(&data_root().join(Source::FashionMnist.dir_name()), Layout::Rows)
        .unwrap_or_else(|e| panic!("{e}"));
    let shape = Shape::new(data.channels, 64, data.classes).expect("shape");
    let lr = 1e-2;
    let cfg = FpttConfig { lr, ..FpttConfig::default() };
    let plan = TrainPlan {
        sequences: limit,
        eval_sequences: usize::MAX,
        data_seed: 1,
        step_weight: StepWeight::Linear,
        curve_points: 0,
        lr_schedule: LrSchedule::Cosine { peak: lr, final_frac: 0.03 },
        commit_average: false,
    };
    let params = init_params_with(shape, 1, &InitOptions::plain());
    let mut learner = FixedLearner::with_params(shape, 32, &params, cfg, numerics);
    println!("fmnist rows, fixed point, formats `{variant}`: {numerics:?}");
    let report = train_classes(&mut learner, &data, passes, &plan, &mut |p| {
        if let Some(acc) = p.eval_accuracy {
            println!("{} sequences: test accuracy {:.2} %", p.sequences, 100.0 * acc);
        }
    });
    println!("final test accuracy {:.2} %", 100.0 * report.test_accuracy);
}
