//! `fptt train --plot FILE`: the learning curve as SVG or PNG (plotters).
//!
//! plotters is built without its font features (no system fonts or font files needed): the SVG
//! backend writes its text as SVG `<text>` elements, so an .svg has its title, axis labels and
//! legend; the bitmap backend has no font to draw text with, so a .png has the axes, the grid
//! and the curves but no text at all (use .svg for a labelled plot).

use crate::train::Summary;
use anyhow::{bail, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One line of a plot.
struct Series {
    label: &'static str,
    points: Vec<(f64, f64)>,
    color: RGBColor,
}

/// Draw the learning curve of `summary` into `path` (.svg or .png).
pub fn learning_curve(path: &Path, summary: &Summary) -> Result<()> {
    let (title, x_label, y_label, series) = match summary {
        Summary::Add(s) => (
            format!("add task, T = {}, {} backend, H = {}, B = {}", s.seq_len, s.backend, s.hidden, s.batch),
            "training sequences",
            "held-out MSE (last step)",
            vec![Series {
                label: "held-out MSE",
                points: s.curve.iter().map(|p| (p.sequences as f64, p.eval_mse)).collect(),
                color: BLUE,
            }],
        ),
        Summary::Class(s) => (
            format!("{}, {} backend, H = {}, B = {}", s.task, s.backend, s.hidden, s.batch),
            "passes over the training set",
            "accuracy (%)",
            vec![
                Series {
                    label: "test accuracy",
                    points: s.curve.iter().map(|p| (p.pass as f64, 100.0 * p.test_accuracy)).collect(),
                    color: BLUE,
                },
                Series {
                    label: "train accuracy (online)",
                    points: s.curve.iter().map(|p| (p.pass as f64, 100.0 * p.train_accuracy)).collect(),
                    color: RED,
                },
            ],
        ),
    };
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let size = (800, 500);
    match ext.as_deref() {
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&root, &title, x_label, y_label, &series, true)?;
            root.present().with_context(|| format!("--plot: writing {}", path.display()))?;
        }
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&root, &title, x_label, y_label, &series, false)?;
            root.present().with_context(|| format!("--plot: writing {}", path.display()))?;
        }
        _ => bail!("--plot {}: the file must end in .svg or .png", path.display()),
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    text: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("--plot: {e}");
    root.fill(&WHITE).map_err(err)?;
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (x_lo, x_hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (y_lo, y_hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (x_lo, x_hi) = if x_lo.is_finite() { (x_lo.min(0.0), x_hi.max(x_lo + 1.0)) } else { (0.0, 1.0) };
    let (y_lo, y_hi) = if y_lo.is_finite() { (y_lo.min(0.0), y_hi.max(1e-6) * 1.05) } else { (0.0, 1.0) };
    let mut builder = ChartBuilder::on(root);
    builder.margin(20);
    if text {
        builder.caption(title, ("sans-serif", 20)).x_label_area_size(40).y_label_area_size(60);
    } else {
        builder.x_label_area_size(10).y_label_area_size(10);
    }
    let mut chart = builder.build_cartesian_2d(x_lo..x_hi, y_lo..y_hi).map_err(err)?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc(x_label).y_desc(y_label);
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(err)?;
    for s in series {
        let color = s.color;
        let drawn = chart.draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2))).map_err(err)?;
        if text {
            drawn.label(s.label).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(err)?;
    }
    if text {
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    }
    Ok(())
}
