//! The `.ts` format of the UEA/UCR time-series archives (as shipped by sktime and aeon).
//!
//! Lines starting with `#` are comments; `@` lines are headers (`@problemName`, `@dimensions`,
//! `@classLabel true a b c`, ...) up to `@data`; after it each line is one labelled instance,
//! `c0v0,c0v1,...:c1v0,...:...:label`: the channels separated by `:`, each a comma-separated
//! series, the class label last. Blank lines are skipped. Time stamps and missing values (`?`)
//! are refused: the loaders here need neither.

/// One labelled instance: its channels, each a series of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct TsInstance {
    /// Channel c's series is `channels[c]`.
    pub channels: Vec<Vec<f64>>,
    /// The class label as written.
    pub label: String,
}

impl TsInstance {
    /// Length of the series (frames).
    pub fn len(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// True for an instance without frames.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed `.ts` file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TsFile {
    /// `@problemName`, if given.
    pub problem_name: Option<String>,
    /// `@dimensions`, if given (every instance has this many channels).
    pub dimensions: Option<usize>,
    /// The labels of `@classLabel true ...`, in the order written.
    pub class_labels: Vec<String>,
    /// The instances after `@data`.
    pub instances: Vec<TsInstance>,
}

impl TsFile {
    /// The index of `label` in [`TsFile::class_labels`].
    pub fn class_index(&self, label: &str) -> Option<usize> {
        self.class_labels.iter().position(|l| l == label)
    }
}

/// Parse the text of a `.ts` file of labelled instances. Errors name the 1-based line.
pub fn parse(text: &str) -> Result<TsFile, String> {
    let mut file = TsFile::default();
    let mut labelled = false;
    let mut in_data = false;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !in_data {
            let Some(header) = line.strip_prefix('@') else {
                return Err(format!("line {line_no}: expected a '#' comment or an '@' header before @data"));
            };
            let mut words = header.split_whitespace();
            let key = words.next().unwrap_or("").to_ascii_lowercase();
            let values: Vec<&str> = words.collect();
            let flag = |v: Option<&&str>| v.map(|s| s.eq_ignore_ascii_case("true"));
            match key.as_str() {
                "data" => in_data = true,
                "problemname" => file.problem_name = values.first().map(|s| s.to_string()),
                "dimensions" => {
                    let d = values.first().and_then(|s| s.parse().ok());
                    file.dimensions = Some(d.ok_or(format!("line {line_no}: @dimensions needs a number"))?);
                }
                "classlabel" => {
                    labelled = flag(values.first()) == Some(true);
                    file.class_labels = values.iter().skip(1).map(|s| s.to_string()).collect();
                    if labelled && file.class_labels.is_empty() {
                        return Err(format!("line {line_no}: @classLabel true lists no labels"));
                    }
                }
                "timestamps" if flag(values.first()) == Some(true) => {
                    return Err(format!("line {line_no}: @timeStamps true is not supported"));
                }
                _ => {}
            }
            continue;
        }
        if !labelled {
            return Err(format!("line {line_no}: the header has no '@classLabel true ...': instances need labels"));
        }
        file.instances.push(parse_instance(line, &file).map_err(|e| format!("line {line_no}: {e}"))?);
    }
    if !in_data {
        return Err("no @data line".into());
    }
    Ok(file)
}

fn parse_instance(line: &str, file: &TsFile) -> Result<TsInstance, String> {
    let mut fields: Vec<&str> = line.split(':').collect();
    let label = fields.pop().unwrap_or("").trim().to_string();
    if fields.is_empty() {
        return Err("no ':' before the label: expected c0v0,c0v1,...:c1v0,...:label".into());
    }
    if file.class_index(&label).is_none() {
        return Err(format!("label '{label}' is not one of @classLabel {}", file.class_labels.join(" ")));
    }
    let channels = fields
        .iter()
        .enumerate()
        .map(|(c, f)| {
            f.split(',')
                .map(|v| {
                    let v = v.trim();
                    match v.parse::<f64>() {
                        Ok(x) if x.is_finite() => Ok(x),
                        _ if v == "?" || v.eq_ignore_ascii_case("nan") => Err(format!("channel {c}: missing value")),
                        _ => Err(format!("channel {c}: '{v}' is not a number")),
                    }
                })
                .collect::<Result<Vec<f64>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(d) = file.dimensions {
        if channels.len() != d {
            return Err(format!("{} channels, @dimensions says {d}", channels.len()));
        }
    }
    let len = channels[0].len();
    if let Some(c) = channels.iter().position(|ch| ch.len() != len) {
        return Err(format!("channel {c} has {} values, channel 0 has {len}", channels[c].len()));
    }
    Ok(TsInstance { channels, label })
}
