//! Signed two's-complement fixed-point formats and the three operations every fixed-point
//! result goes through: shift to the target scale with a named rounding, then saturate.
//!
//! Values travel as `i64` holding the integer code; a format only says how many bits the code
//! may use and where the binary point is. Nothing here ever wraps: every narrowing saturates.

use serde::Serialize;

/// A signed fixed-point format: `bits` in all (sign included), `frac` of them after the point.
/// Value = code x 2^-frac, code in [-2^(bits-1), 2^(bits-1) - 1].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Fmt {
    /// Total bits, sign included (2..=48).
    pub bits: u32,
    /// Fraction bits.
    pub frac: u32,
}

impl Fmt {
    /// A format of `bits` bits with `frac` fraction bits.
    pub const fn new(bits: u32, frac: u32) -> Self {
        assert!(bits >= 2 && bits <= 48, "format width must be 2..=48 bits");
        Self { bits, frac }
    }

    /// Largest code.
    pub const fn max(self) -> i64 {
        (1i64 << (self.bits - 1)) - 1
    }

    /// Smallest code.
    pub const fn min(self) -> i64 {
        -(1i64 << (self.bits - 1))
    }

    /// The code of 1.0 (may exceed `max` when frac >= bits - 1).
    pub const fn one(self) -> i64 {
        1i64 << self.frac
    }

    /// Clamp a code into range.
    #[inline(always)]
    pub fn sat(self, code: i64) -> i64 {
        code.clamp(self.min(), self.max())
    }

    /// Does `code` fit without saturation?
    pub fn holds(self, code: i64) -> bool {
        (self.min()..=self.max()).contains(&code)
    }

    /// Re-scale a code from `from_frac` fraction bits into this format: round to nearest (ties
    /// toward +infinity) when bits are dropped, then saturate.
    #[inline(always)]
    pub fn from_scaled(self, code: i64, from_frac: u32) -> i64 {
        self.sat(rescale_nearest(code, from_frac, self.frac))
    }

    /// Like [`Fmt::from_scaled`] but rounding toward -infinity (floor).
    #[inline(always)]
    pub fn from_scaled_floor(self, code: i64, from_frac: u32) -> i64 {
        self.sat(rescale_floor(code, from_frac, self.frac))
    }

    /// The nearest code to a real number (host side only: converts user data and
    /// initial parameters; never used on the data path).
    pub fn quantize(self, x: f64) -> i64 {
        let scaled = (x * self.one() as f64 + 0.5).floor();
        if scaled.is_nan() {
            0
        } else if scaled >= self.max() as f64 {
            self.max()
        } else if scaled <= self.min() as f64 {
            self.min()
        } else {
            scaled as i64
        }
    }

    /// The real value of a code (host side only).
    pub fn real(self, code: i64) -> f64 {
        code as f64 / self.one() as f64
    }

    /// Resolution: the value of one least-significant bit.
    pub fn lsb(self) -> f64 {
        1.0 / self.one() as f64
    }

    /// Largest representable value.
    pub fn max_real(self) -> f64 {
        self.real(self.max())
    }

    /// "Qm.f" name: m integer bits (sign excluded), f fraction bits; a negative m means the
    /// format only covers |x| < 2^m.
    pub fn name(self) -> String {
        format!("Q{}.{}", self.bits as i64 - 1 - self.frac as i64, self.frac)
    }
}

/// A precomputed narrowing from `from` fraction bits into a format: the same result as
/// [`Fmt::from_scaled`] (or [`Fmt::from_scaled_floor`]) without a branch on the direction, so
/// that loops over many words stay branch-free.
#[derive(Clone, Copy, Debug)]
pub struct Requant {
    left: u32,
    right: u32,
    half: i64,
    min: i64,
    max: i64,
}

impl Requant {
    /// Round to nearest (ties up) from `from` fraction bits into `to`, then saturate.
    pub fn nearest(from: u32, to: Fmt) -> Self {
        let right = from.saturating_sub(to.frac);
        Self {
            left: to.frac.saturating_sub(from),
            right,
            half: if right > 0 { 1 << (right - 1) } else { 0 },
            min: to.min(),
            max: to.max(),
        }
    }

    /// Round toward -infinity from `from` fraction bits into `to`, then saturate.
    pub fn floor(from: u32, to: Fmt) -> Self {
        Self { half: 0, ..Self::nearest(from, to) }
    }

    /// Apply to one code.
    #[inline(always)]
    pub fn apply(self, code: i64) -> i64 {
        (((code << self.left) + self.half) >> self.right).clamp(self.min, self.max)
    }
}

/// Shift `code` from `from` to `to` fraction bits, rounding to nearest, ties toward +infinity
/// (add half an LSB, then an arithmetic shift: what a hardware adder plus wiring does).
#[inline(always)]
pub fn rescale_nearest(code: i64, from: u32, to: u32) -> i64 {
    if from > to {
        let sh = from - to;
        (code + (1i64 << (sh - 1))) >> sh
    } else {
        code << (to - from)
    }
}

/// Shift `code` from `from` to `to` fraction bits, rounding toward -infinity.
#[inline(always)]
pub fn rescale_floor(code: i64, from: u32, to: u32) -> i64 {
    if from > to {
        code >> (from - to)
    } else {
        code << (to - from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_names() {
        let f = Fmt::new(18, 12);
        assert_eq!(f.max(), 131_071);
        assert_eq!(f.min(), -131_072);
        assert_eq!(f.name(), "Q5.12");
        assert_eq!(f.quantize(1.0), 4096);
        assert_eq!(f.quantize(1e9), f.max());
        assert_eq!(f.quantize(-1e9), f.min());
        assert_eq!(f.real(f.quantize(0.25)), 0.25);
    }

    #[test]
    fn rounding_is_nearest_ties_up_and_saturates() {
        let f = Fmt::new(8, 0);
        assert_eq!(f.from_scaled(3, 1), 2); // 1.5 -> 2
        assert_eq!(f.from_scaled(-3, 1), -1); // -1.5 -> -1 (ties toward +inf)
        assert_eq!(f.from_scaled(-5, 2), -1); // -1.25 -> -1
        assert_eq!(f.from_scaled_floor(-5, 2), -2);
        assert_eq!(f.from_scaled(1 << 20, 0), 127);
        assert_eq!(f.from_scaled(-(1 << 20), 0), -128);
        assert_eq!(f.from_scaled(5, 0), 5);
        assert_eq!(Fmt::new(18, 14).from_scaled(3, 12), 12);
    }

    #[test]
    fn requant_matches_from_scaled() {
        let f = Fmt::new(10, 4);
        for from in 0..12 {
            for code in -5000..5000 {
                assert_eq!(Requant::nearest(from, f).apply(code), f.from_scaled(code, from));
                assert_eq!(Requant::floor(from, f).apply(code), f.from_scaled_floor(code, from));
            }
        }
    }
}
