//! Conversions between rust-hdl's `Signed<N>` words and the `i64` codes of the golden model.

use rust_hdl::prelude::*;

/// The code held by a signed word (two's complement, N <= 64).
#[inline]
pub fn to_i64<const N: usize>(x: Signed<N>) -> i64 {
    assert!(N <= 64, "to_i64: word wider than 64 bits");
    let u = unsigned_cast(x).to_u64();
    if N == 64 {
        u as i64
    } else {
        ((u << (64 - N)) as i64) >> (64 - N)
    }
}

/// Is `v` representable as an N-bit two's-complement word?
#[inline]
pub fn fits(v: i64, bits: usize) -> bool {
    bits >= 64 || (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&v)
}

/// The N-bit signed word of code `v`; panics when `v` does not fit (nothing may wrap silently).
#[inline]
pub fn to_signed<const N: usize>(v: i64) -> Signed<N> {
    assert!(N <= 64, "to_signed: word wider than 64 bits");
    assert!(fits(v, N), "to_signed: {v} does not fit {N} bits");
    let mask = if N == 64 { u64::MAX } else { (1u64 << N) - 1 };
    signed_cast(Bits::<N>::from((v as u64) & mask))
}

/// The N-bit signed word of the low N bits of `v` (two's-complement wrap, as hardware does).
#[inline]
pub fn wrap_signed<const N: usize>(v: i64) -> Signed<N> {
    let mask = if N >= 64 { u64::MAX } else { (1u64 << N) - 1 };
    signed_cast(Bits::<N>::from((v as u64) & mask))
}

/// `v` as `bits` hex digits of its low `bits` bits (two's complement), for `$readmemh` files.
pub fn hex_word(v: i64, bits: u32) -> String {
    let mask = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
    format!("{:0w$x}", (v as u64) & mask, w = bits.div_ceil(4) as usize)
}
