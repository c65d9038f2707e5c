//! The spike nonlinearity and its surrogate derivative (algorithm.md section 6).

use std::f64::consts::PI;

fn normal_pdf(x: f64, mu: f64, sigma: f64) -> f64 {
    (-(x - mu) * (x - mu) / (2.0 * sigma * sigma)).exp() / ((2.0 * PI).sqrt() * sigma)
}

/// The authors' "multi-Gaussian" surrogate derivative of the spike:
/// g(x) = 0.5 * [1.15 N(x; 0, 0.3) - 0.15 N(x; 0.3, 1.8) - 0.15 N(x; -0.3, 1.8)].
pub fn multi_gaussian(x: f64) -> f64 {
    const LENS: f64 = 0.3;
    const SCALE: f64 = 6.0;
    const HEIGHT: f64 = 0.15;
    const GAMMA: f64 = 0.5;
    GAMMA
        * ((1.0 + HEIGHT) * normal_pdf(x, 0.0, LENS)
            - HEIGHT * normal_pdf(x, LENS, SCALE * LENS)
            - HEIGHT * normal_pdf(x, -LENS, SCALE * LENS))
}

/// Logistic sigmoid.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// How a neuron turns v - theta into a spike, and the derivative the backward pass uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpikeFn {
    /// The model: s = 1 if x > 0 else 0 (strict), backward through [`multi_gaussian`].
    Heaviside,
    /// For gradient checks only: s = sigmoid(k x), backward through its exact derivative, so
    /// that finite differences of the forward pass can verify the hand-derived backward pass.
    Smooth {
        /// Steepness k.
        k: f64,
    },
}

impl SpikeFn {
    /// The spike for x = v - theta.
    pub fn spike(self, x: f64) -> f64 {
        match self {
            SpikeFn::Heaviside => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            SpikeFn::Smooth { k } => sigmoid(k * x),
        }
    }

    /// d spike / dx as used by the backward pass.
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            SpikeFn::Heaviside => multi_gaussian(x),
            SpikeFn::Smooth { k } => {
                let s = sigmoid(k * x);
                k * s * (1.0 - s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogate_matches_documented_values() {
        assert!((multi_gaussian(0.0) - 0.7319).abs() < 1e-4);
        assert!((multi_gaussian(0.5) - multi_gaussian(-0.5)).abs() < 1e-15);
        // zero crossing near |x| = 0.763, minimum -0.0264 near 1.12
        assert!(multi_gaussian(0.75) > 0.0 && multi_gaussian(0.78) < 0.0);
        assert!((multi_gaussian(1.12) + 0.0264).abs() < 2e-4);
        assert!(multi_gaussian(4.0).abs() < 1e-2);
    }

    #[test]
    fn heaviside_is_strict() {
        assert_eq!(SpikeFn::Heaviside.spike(0.0), 0.0);
        assert_eq!(SpikeFn::Heaviside.spike(1e-300), 1.0);
    }
}
