//! A reader for the statements of a Lattice LPF constraint file that place and time a design's
//! ports: `LOCATE COMP`, `IOBUF PORT` and `FREQUENCY PORT`. Other statements (`BLOCK`,
//! `SYSCONFIG`, ...) are kept as text. Comments (`#` or `//` to the end of the line) are skipped;
//! statements end with `;` and may span lines.

use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;

/// The placement and timing statements of one LPF file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lpf {
    /// Port to site (package ball), from `LOCATE COMP "port" SITE "site"`.
    pub sites: BTreeMap<String, String>,
    /// Port to its attributes (`IO_TYPE` to `LVCMOS33`, ...), merged over its `IOBUF PORT` lines.
    pub iobufs: BTreeMap<String, BTreeMap<String, String>>,
    /// Port to frequency in Hz, from `FREQUENCY PORT "port" <value> MHz|kHz|Hz`.
    pub frequencies: BTreeMap<String, f64>,
    /// Every other statement, as written (without its `;`).
    pub other: Vec<String>,
}

impl Lpf {
    /// The `IO_TYPE` of a port, if an `IOBUF PORT` line gives it one.
    pub fn io_type(&self, port: &str) -> Option<&str> {
        self.iobufs.get(port)?.get("IO_TYPE").map(String::as_str)
    }
}

/// Parse the text of an LPF file.
pub fn parse(text: &str) -> Result<Lpf> {
    let mut code = String::new();
    for line in text.lines() {
        let end = [line.find('#'), line.find("//")].into_iter().flatten().min().unwrap_or(line.len());
        code.push_str(&line[..end]);
        code.push('\n');
    }
    let mut parts: Vec<&str> = code.split(';').collect();
    let tail = parts.pop().unwrap_or_default();
    ensure!(tail.trim().is_empty(), "statement without its ';': {}", tail.trim());
    let mut lpf = Lpf::default();
    for statement in parts.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        add(&mut lpf, statement).with_context(|| format!("in LPF statement `{statement}`"))?;
    }
    Ok(lpf)
}

/// Add one statement (without its `;`).
fn add(lpf: &mut Lpf, statement: &str) -> Result<()> {
    let words: Vec<String> = statement.split_whitespace().map(|w| w.trim_matches('"').to_string()).collect();
    let keyword = |i: usize, k: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(k));
    if keyword(0, "LOCATE") && keyword(1, "COMP") {
        ensure!(words.len() == 5 && keyword(3, "SITE"), "expected LOCATE COMP \"port\" SITE \"site\"");
        if let Some(old) = lpf.sites.insert(words[2].clone(), words[4].clone()) {
            bail!("port {} is already located at {old}", words[2]);
        }
    } else if keyword(0, "IOBUF") && keyword(1, "PORT") {
        ensure!(words.len() >= 4, "expected IOBUF PORT \"port\" KEY=VALUE...");
        let attributes = lpf.iobufs.entry(words[2].clone()).or_default();
        for word in &words[3..] {
            let (key, value) = word.split_once('=').with_context(|| format!("`{word}` is not KEY=VALUE"))?;
            let key = key.to_ascii_uppercase();
            if let Some(old) = attributes.insert(key.clone(), value.to_string()) {
                ensure!(old == value, "{key} of port {} is both {old} and {value}", words[2]);
            }
        }
    } else if keyword(0, "FREQUENCY") && keyword(1, "PORT") {
        ensure!(words.len() == 5, "expected FREQUENCY PORT \"port\" <value> <unit>");
        let value: f64 = words[3].parse().with_context(|| format!("`{}` is not a number", words[3]))?;
        let scale = match words[4].to_ascii_uppercase().as_str() {
            "MHZ" => 1e6,
            "KHZ" => 1e3,
            "HZ" => 1.0,
            unit => bail!("unknown frequency unit {unit}"),
        };
        if lpf.frequencies.insert(words[2].clone(), value * scale).is_some() {
            bail!("port {} has two frequencies", words[2]);
        }
    } else {
        lpf.other.push(statement.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_locate_iobuf_and_frequency_statements() {
        let lpf = parse(
            "BLOCK RESETPATHS ;\n\
             # a comment ; with a semicolon\n\
             LOCATE COMP \"clk\" SITE \"G2\" ; // trailing comment\n\
             IOBUF PORT \"clk\" PULLMODE=NONE\n  IO_TYPE=LVCMOS33 ;\n\
             IOBUF PORT \"clk\" io_type=LVCMOS33;\n\
             FREQUENCY PORT \"clk\" 25.000000 MHz;\n\
             frequency port \"slow\" 32.768 kHz ;\n",
        )
        .unwrap();
        assert_eq!(lpf.sites["clk"], "G2");
        assert_eq!(lpf.io_type("clk"), Some("LVCMOS33"));
        assert_eq!(lpf.iobufs["clk"]["PULLMODE"], "NONE");
        assert_eq!(lpf.frequencies["clk"], 25e6);
        assert!((lpf.frequencies["slow"] - 32768.0).abs() < 1e-6);
        assert_eq!(lpf.other, ["BLOCK RESETPATHS"]);
        assert_eq!(lpf.io_type("nothing"), None);
    }

    #[test]
    fn refuses_malformed_and_conflicting_statements() {
        for (text, why) in [
            ("LOCATE COMP \"a\" SITE \"A1\"", "without its ';'"),
            ("LOCATE COMP \"a\" \"A1\";", "expected LOCATE"),
            ("LOCATE COMP \"a\" SITE \"A1\"; LOCATE COMP \"a\" SITE \"B1\";", "already located at A1"),
            ("IOBUF PORT \"a\" LVCMOS33;", "not KEY=VALUE"),
            ("IOBUF PORT \"a\" IO_TYPE=LVCMOS33; IOBUF PORT \"a\" IO_TYPE=LVCMOS25;", "both LVCMOS33 and LVCMOS25"),
            ("FREQUENCY PORT \"a\" fast MHz;", "not a number"),
            ("FREQUENCY PORT \"a\" 25 GHz;", "unknown frequency unit"),
            ("FREQUENCY PORT \"a\" 25 MHz; FREQUENCY PORT \"a\" 25 MHz;", "two frequencies"),
        ] {
            let e = format!("{:#}", parse(text).unwrap_err());
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
