//! Parameter-state files: W, W-bar, lambda and the Adamax moments as the device holds them
//! (i32 codes), in safetensors, with the network's sizes and every array's fixed-point format
//! recorded in the metadata, so that a file is read back only into a network and number
//! formats it fits.

use crate::board::{array_of, from_arrays, ARRAYS};
use anyhow::{bail, ensure, Context, Result};
use fptt_sim::fixed::update::FixedParams;
use fptt_sim::fixed::{Fmt, Numerics};
use fptt_sim::model::{Layout, Readout, Shape};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

/// The format of parameter-state array `name` (a name of [`ARRAYS`]).
fn format_of(n: &Numerics, name: &str) -> Fmt {
    match name {
        "w" => n.weight,
        "w_bar" => n.weight_avg,
        "lambda" => n.lambda,
        _ => n.grad,
    }
}

/// "s18.12": signed, 18 bits, 12 of them fraction.
fn describe(f: Fmt) -> String {
    format!("s{}.{}", f.bits, f.frac)
}

/// The metadata of a file for `shape`.
fn metadata(shape: Shape, n: &Numerics) -> HashMap<String, String> {
    let mut m = HashMap::from([
        ("inputs".to_string(), shape.inputs.to_string()),
        ("hidden".to_string(), shape.hidden.to_string()),
        ("outputs".to_string(), shape.outputs.to_string()),
        ("readout".to_string(), shape.readout.name().to_string()),
        ("layout".to_string(), "fptt flat parameter layout (sim/src/model.rs, Layout)".to_string()),
    ]);
    for (_, name) in ARRAYS {
        m.insert(format!("format.{name}"), describe(format_of(n, name)));
    }
    m
}

/// Writes `words` of a `shape` network to `path`.
pub fn save(path: &Path, shape: Shape, words: &FixedParams) -> Result<()> {
    let n = Numerics::DEFAULT;
    let bytes: Vec<(&str, Vec<u8>)> = ARRAYS
        .iter()
        .map(|&(a, name)| (name, array_of(words, a).iter().flat_map(|w| w.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(name, b)| Ok((*name, TensorView::new(Dtype::I32, vec![b.len() / 4], b)?)))
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .context("build the tensors")?;
    let file = safetensors::serialize(views, &Some(metadata(shape, &n))).context("serialise the parameters")?;
    std::fs::write(path, file).with_context(|| format!("write {}", path.display()))
}

/// Reads a parameter file: the network's sizes and its words. Refuses files of other number
/// formats or with arrays of the wrong size.
pub fn load(path: &Path) -> Result<(Shape, FixedParams)> {
    let n = Numerics::DEFAULT;
    let file = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let what = || format!("{} is not an fptt parameter file", path.display());
    let (_, meta) = SafeTensors::read_metadata(&file).with_context(what)?;
    let meta = meta.metadata().clone().unwrap_or_default();
    let dim = |k: &str| -> Result<usize> {
        meta.get(k).and_then(|v| v.parse().ok()).with_context(|| format!("{}: no `{k}` in its metadata", what()))
    };
    // files written before the readout was recorded read the spikes
    let readout = match meta.get("readout") {
        None => Readout::Spikes,
        Some(name) => Readout::from_name(name)
            .with_context(|| format!("{}: readout {name:?} is neither spikes nor membrane", path.display()))?,
    };
    let shape = Shape::new(dim("inputs")?, dim("hidden")?, dim("outputs")?)?.with_readout(readout);
    for (_, name) in ARRAYS {
        let want = describe(format_of(&n, name));
        let got = meta.get(&format!("format.{name}")).cloned().unwrap_or_default();
        ensure!(got == want, "{}: array {name} is in format {got:?}, this build uses {want}", path.display());
    }
    let tensors = SafeTensors::deserialize(&file).with_context(what)?;
    let len = Layout::new(shape).len();
    let mut arrays = vec![];
    for (_, name) in ARRAYS {
        let t = tensors.tensor(name).with_context(|| format!("{}: no array {name}", what()))?;
        if t.dtype() != Dtype::I32 || t.shape() != [len] {
            bail!("{}: array {name} is {:?} {:?}, expected I32 [{len}]", path.display(), t.dtype(), t.shape());
        }
        arrays.push(t.data().chunks(4).map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes"))).collect());
    }
    Ok((shape, from_arrays(arrays)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_a_damaged_one_is_refused() {
        let shape = Shape::new(2, 5, 3).unwrap().membrane();
        let n = Numerics::DEFAULT;
        let len = Layout::new(shape).len();
        let mut words = FixedParams::from_reals(&n, &(0..len).map(|k| (k as f64 * 0.37).sin()).collect::<Vec<_>>());
        words.m = (0..len as i32).map(|k| k * 3 - 40).collect();
        words.u = (0..len as i32).collect();
        words.lambda = (0..len as i32).map(|k| -k).collect();
        let dir = std::env::temp_dir().join(format!("fptt-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.safetensors");
        save(&path, shape, &words).unwrap();
        assert_eq!(load(&path).unwrap(), (shape, words));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 4);
        std::fs::write(&path, &bytes).unwrap();
        let e = format!("{:#}", load(&path).unwrap_err());
        assert!(e.contains("not an fptt parameter file"), "{e}");
        let e = format!("{:#}", load(&dir.join("missing.safetensors")).unwrap_err());
        assert!(e.contains("read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
