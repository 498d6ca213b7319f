//! Numbers as French readers expect them: "61,2 %", "100 000", "+4,3 points".

/// The narrow no-break space French typography puts before "%" and between thousands.
const NNBSP: char = '\u{202F}';

/// A ratio as a percentage with one decimal: `0.6123` → "61,2 %"; `None` → "–".
pub fn percent(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r.is_finite() => format!("{}{NNBSP}%", decimal(r * 100.0, 1)),
        _ => "–".to_owned(),
    }
}

/// `x` with `digits` decimals and a decimal comma.
pub fn decimal(x: f64, digits: usize) -> String {
    let text = format!("{x:.digits$}");
    // "-0,0" reads oddly: a rounded zero has no sign.
    let text = if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_owned()
    } else {
        text
    };
    text.replace('.', ",")
}

/// An integer with narrow no-break spaces between thousands: 100000 → "100 000".
pub fn integer(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NNBSP);
        }
        out.push(c);
    }
    out
}

/// A change in percentage points with its sign: "+4,3 points", "−12,0 points".
pub fn points(change: f64) -> String {
    let magnitude = decimal(change.abs(), 1);
    let sign = if magnitude.chars().all(|c| c == '0' || c == ',') {
        ""
    } else if change > 0.0 {
        "+"
    } else {
        "−"
    };
    format!("{sign}{magnitude}{NNBSP}points")
}

/// A 95 % interval: "[45,2 % ; 61,0 %]".
pub fn interval(bounds: Option<(f64, f64)>) -> String {
    match bounds {
        Some((low, high)) => format!("[{} ; {}]", percent(Some(low)), percent(Some(high))),
        None => "–".to_owned(),
    }
}

/// A day as "16/03/2026".
pub fn day(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers() {
        assert_eq!(percent(Some(0.6123)), "61,2\u{202F}%");
        assert_eq!(percent(Some(1.0)), "100,0\u{202F}%");
        assert_eq!(percent(None), "–");
        assert_eq!(percent(Some(f64::NAN)), "–");
        assert_eq!(integer(0), "0");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(100_000), "100\u{202F}000");
        assert_eq!(integer(1_234_567), "1\u{202F}234\u{202F}567");
        assert_eq!(points(4.26), "+4,3\u{202F}points");
        assert_eq!(points(-12.0), "−12,0\u{202F}points");
        assert_eq!(points(-0.01), "0,0\u{202F}points");
        assert_eq!(decimal(-0.04, 1), "0,0");
        assert_eq!(
            interval(Some((0.452, 0.61))),
            "[45,2\u{202F}% ; 61,0\u{202F}%]"
        );
    }
}
