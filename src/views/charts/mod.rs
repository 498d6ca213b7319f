//! Charts drawn on the server as SVG, readable without JavaScript. Each has a `<title>` and a
//! `<desc>` naming what it shows, and its figures in a table (visible, or in a `<details>`),
//! so that no reader depends on the drawing.

mod stacked;
mod timeline;
mod trend;

pub use stacked::{Segment, StackedBar};
pub use timeline::TimelineChart;
pub use trend::TrendChart;

/// An SVG coordinate, short: one decimal is far below a pixel.
fn n(x: f64) -> String {
    format!("{x:.1}")
}

/// The smallest "round" number (1, 2 or 5 times a power of ten) at or above `x`, so that the
/// axis ends on a readable value.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 1.0 {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|candidate| *candidate >= x)
        .unwrap_or(10.0 * power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(20.0), 20.0);
        assert_eq!(nice_ceiling(21.0), 50.0);
        assert_eq!(nice_ceiling(130_000.0), 200_000.0);
    }
}
