//! Per-step losses and their gradient with respect to the readout (algorithm.md section 3).

/// What a stream should output at one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target<'a> {
    /// Regression: l = w/2 ||o - y||^2.
    Value(&'a [f64]),
    /// Classification: l = w (-log softmax(o)\[y\]).
    Class(usize),
}

/// The classes of a step's targets, one per stream, or None when they are values (a step
/// does not mix the two: the learners refuse one that does).
pub fn classes(targets: &[Target]) -> Option<Vec<usize>> {
    targets
        .iter()
        .map(|t| match *t {
            Target::Class(k) => Some(k),
            Target::Value(_) => None,
        })
        .collect()
}

/// Numerically stable softmax.
pub fn softmax(o: &[f64], out: &mut Vec<f64>) {
    let m = o.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    out.clear();
    out.extend(o.iter().map(|&v| (v - m).exp()));
    let z: f64 = out.iter().sum();
    for p in out.iter_mut() {
        *p /= z;
    }
}

/// The step loss l_t for readout `o`, step weight `w`; writes dl/do into `d_o`.
pub fn step_loss(o: &[f64], target: Target, w: f64, d_o: &mut Vec<f64>) -> f64 {
    match target {
        Target::Value(y) => {
            assert_eq!(y.len(), o.len(), "target width");
            d_o.clear();
            d_o.extend(o.iter().zip(y).map(|(o, y)| w * (o - y)));
            0.5 * w * o.iter().zip(y).map(|(o, y)| (o - y) * (o - y)).sum::<f64>()
        }
        Target::Class(y) => {
            assert!(y < o.len(), "class {y} out of range");
            softmax(o, d_o);
            let loss = -w * d_o[y].max(f64::MIN_POSITIVE).ln();
            d_o[y] -= 1.0;
            for d in d_o.iter_mut() {
                *d *= w;
            }
            loss
        }
    }
}
