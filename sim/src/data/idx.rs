//! The idx format of (Fashion-)MNIST: a big-endian header, then the data.
//!
//! Header: two zero bytes, the element type (0x08: unsigned byte, the only one read here), the
//! number of dimensions d, then d big-endian u32 sizes; then exactly the product of the sizes
//! in bytes. So an idx3 image file has magic 0x00000803 (N x rows x cols) and an idx1 label
//! file 0x00000801 (N). Files are read gzip-compressed (`*-ubyte.gz`).

use super::error::read;
use super::{DataError, Source};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// The idx element type code of unsigned bytes.
pub const UBYTE: u8 = 0x08;

/// An idx array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// Sizes, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// The magic number of an unsigned-byte idx file of `ndims` dimensions.
pub fn magic(ndims: u8) -> u32 {
    u32::from_be_bytes([0, 0, UBYTE, ndims])
}

/// Parse an unsigned-byte idx file that must have `ndims` dimensions. Refuses a wrong magic
/// (type or dimension count), a truncated header, and a body that is not exactly the product
/// of the sizes.
pub fn parse(bytes: &[u8], ndims: u8) -> Result<Idx, String> {
    if bytes.len() < 4 {
        return Err(format!("{} bytes: too short for an idx header", bytes.len()));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic(ndims) {
        let what = if bytes[0] != 0 || bytes[1] != 0 {
            "not an idx file".to_string()
        } else if bytes[2] != UBYTE {
            format!("element type 0x{:02x}, only unsigned bytes (0x08) are read", bytes[2])
        } else {
            format!("an idx{} file", bytes[3])
        };
        return Err(format!(
            "magic 0x{found:08x} ({what}); expected 0x{:08x} (idx{ndims}, unsigned bytes)",
            magic(ndims)
        ));
    }
    let header = 4 + 4 * usize::from(ndims);
    if bytes.len() < header {
        return Err(format!("{} bytes: the idx{ndims} header needs {header}", bytes.len()));
    }
    let dims: Vec<usize> =
        bytes[4..header].chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let size = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let body = bytes.len() - header;
    let shape = dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" x ");
    match size {
        Some(size) if size == body => Ok(Idx { dims, data: bytes[header..].to_vec() }),
        Some(size) => Err(format!("header says {shape} = {size} bytes of data, the file has {body}")),
        None => Err(format!("header sizes {shape} overflow")),
    }
}

/// Read and parse a gzip-compressed idx file (see [`parse`]).
pub fn read_gz(path: &Path, ndims: u8, dataset: Source) -> Result<Idx, DataError> {
    let compressed = read(path, dataset)?;
    let mut bytes = Vec::new();
    GzDecoder::new(compressed.as_slice()).read_to_end(&mut bytes).map_err(|e| {
        DataError::invalid(path, format!("not a valid gzip file ({e}); expected a gzip-compressed idx file"))
    })?;
    parse(&bytes, ndims).map_err(|reason| DataError::invalid(path, reason))
}
