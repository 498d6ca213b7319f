//! An SPSS system file (`.sav`), uncompressed, little-endian, UTF-8, as PSPP's developer
//! guide documents the format ("System File Format"): the file header, one variable record
//! per 8-byte slot, value labels, then the extension records SPSS and PSPP read (machine
//! integer and floating-point info, variable display parameters with the measurement level,
//! long variable names, very long strings, multiple response sets, the character encoding)
//! and the data, one case after another.
//!
//! No maintained Rust crate writes this format without a heavy dependency (`ambers` writes
//! through Apache Arrow), and jalon needs only a small part of it.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::dataset::{Cell, Dataset, Measure, Storage, truncated};

/// What SPSS reads as "no value" (system-missing): the lowest double.
const SYSMIS: f64 = -f64::MAX;
/// Longest variable label SPSS keeps, and longest value label, in bytes.
const MAX_LABEL: usize = 255;
/// A string segment holds at most 255 bytes.
const SEGMENT: usize = 255;

/// The segments of a variable: its widths (one for a number, which has width 0).
fn segments(storage: Storage) -> Vec<usize> {
    match storage {
        Storage::Number | Storage::Date => vec![0],
        Storage::Text { width } if width <= SEGMENT => vec![width],
        Storage::Text { width } => {
            let n = width.div_ceil(252);
            let mut widths = vec![SEGMENT; n - 1];
            widths.push(width - (n - 1) * 252);
            widths
        }
    }
}

/// 8-byte slots a segment of `width` takes (a number: one).
fn slots(width: usize) -> usize {
    width.div_ceil(8).max(1)
}

/// Print and write format: type, width, decimals.
fn format(storage: Storage, width: usize) -> i32 {
    let (kind, w, d) = match storage {
        Storage::Number => (5, 8, 0),
        Storage::Date => (20, 11, 0),
        Storage::Text { .. } => (1, width, 0),
    };
    (kind << 16) | ((w as i32) << 8) | d
}

struct Out(Vec<u8>);

impl Out {
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn usize(&mut self, v: usize) {
        self.i32(i32::try_from(v).unwrap_or(i32::MAX));
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// `text` in exactly `len` bytes, padded with spaces (cut if longer).
    fn padded(&mut self, text: &[u8], len: usize) {
        let cut = &text[..text.len().min(len)];
        self.0.extend_from_slice(cut);
        self.0.extend(std::iter::repeat_n(b' ', len - cut.len()));
    }
    /// A type 7 record of `size`-byte elements.
    fn extension(&mut self, subtype: i32, size: usize, data: &[u8]) {
        self.i32(7);
        self.i32(subtype);
        self.usize(size);
        self.usize(data.len() / size);
        self.0.extend_from_slice(data);
    }
}

/// Seconds from SPSS's epoch (the Gregorian calendar's first day) to midnight of `day`.
fn spss_date(day: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1582, 10, 14).unwrap_or_default();
    (day - epoch).num_days() as f64 * 86_400.0
}

pub fn write(dataset: &Dataset, created: NaiveDateTime) -> Vec<u8> {
    let layouts: Vec<Vec<usize>> = dataset
        .variables
        .iter()
        .map(|v| segments(v.storage))
        .collect();
    let case_slots: usize = layouts.iter().flatten().map(|w| slots(*w)).sum();
    let mut out = Out(Vec::new());

    // File header.
    out.0.extend_from_slice(b"$FL2");
    out.padded(b"@(#) SPSS DATA FILE jalon", 60);
    out.i32(2);
    out.usize(case_slots);
    out.i32(0); // not compressed
    out.i32(0); // not weighted
    out.usize(dataset.rows.len());
    out.f64(100.0);
    out.padded(created.format("%d %b %y").to_string().as_bytes(), 9);
    out.padded(created.format("%H:%M:%S").to_string().as_bytes(), 8);
    let file_label = format!("{} – {}", dataset.questionnaire, dataset.campaign);
    out.padded(truncated(&file_label, 64).as_bytes(), 64);
    out.padded(b"", 3);

    // Variable records; short names V0000001… (the long names come later).
    let mut short_names: Vec<Vec<String>> = Vec::new();
    let mut first_slot: Vec<usize> = Vec::new();
    let mut slot = 1;
    let mut counter = 0;
    for (variable, widths) in dataset.variables.iter().zip(&layouts) {
        first_slot.push(slot);
        let mut names = Vec::new();
        for (segment, width) in widths.iter().enumerate() {
            counter += 1;
            let short = format!("V{counter:07}");
            out.i32(2);
            out.usize(*width);
            let label = (segment == 0).then(|| truncated(&variable.label, MAX_LABEL));
            out.i32(i32::from(label.is_some()));
            let missing: Vec<f64> = if segment == 0 && variable.storage == Storage::Number {
                variable.missing.iter().map(|(c, _)| *c as f64).collect()
            } else {
                Vec::new()
            };
            // Up to three codes one by one, more as the range they span.
            let range = missing.len() > 3;
            out.i32(if range { -2 } else { missing.len() as i32 });
            let f = format(variable.storage, *width);
            out.i32(f);
            out.i32(f);
            out.padded(short.as_bytes(), 8);
            if let Some(label) = label {
                out.usize(label.len());
                out.padded(label.as_bytes(), label.len().div_ceil(4) * 4);
            }
            if range {
                let low = missing.iter().copied().fold(f64::MAX, f64::min);
                let high = missing.iter().copied().fold(f64::MIN, f64::max);
                out.f64(low);
                out.f64(high);
            } else {
                for m in missing {
                    out.f64(m);
                }
            }
            for _ in 1..slots(*width) {
                out.i32(2);
                out.i32(-1);
                out.i32(0);
                out.i32(0);
                out.i32(0);
                out.i32(0);
                out.padded(b"", 8);
            }
            slot += slots(*width);
            names.push(short);
        }
        short_names.push(names);
    }

    // Value labels, one record pair per numeric variable that has any.
    for (i, variable) in dataset.variables.iter().enumerate() {
        let codes = variable.labelled_codes();
        if codes.is_empty() || variable.storage != Storage::Number {
            continue;
        }
        out.i32(3);
        out.usize(codes.len());
        for (code, label) in codes {
            let label = truncated(label, MAX_LABEL);
            out.f64(code as f64);
            out.0.push(label.len() as u8);
            out.padded(label.as_bytes(), (label.len() + 1).div_ceil(8) * 8 - 1);
        }
        out.i32(4);
        out.i32(1);
        out.usize(first_slot[i]);
    }

    // Machine integer info: PSPP 2.0-like version, IEEE 754, little-endian, UTF-8 (65001).
    let mut data = Vec::new();
    for v in [1, 0, 0, -1, 1, 1, 2, 65001] {
        data.extend_from_slice(&i32::to_le_bytes(v));
    }
    out.extension(3, 4, &data);
    let mut data = Vec::new();
    let lowest = f64::from_bits(0xffef_ffff_ffff_fffe);
    for v in [SYSMIS, f64::MAX, lowest] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    out.extension(4, 8, &data);

    // Multiple dichotomy sets, counted value 1, by the short names of their variables.
    let mut data = String::new();
    for set in dataset.sets.iter().filter(|s| s.variables.len() >= 2) {
        let label = truncated(&set.label, MAX_LABEL);
        data.push_str(&format!("{}=D1 1 {} {label}", set.name, label.len()));
        for &i in &set.variables {
            data.push(' ');
            data.push_str(&short_names[i][0].to_ascii_lowercase());
        }
        data.push('\n');
    }
    if !data.is_empty() {
        out.extension(7, 1, data.as_bytes());
    }

    // Display parameters: measurement level, width, alignment, per segment.
    let mut data = Vec::new();
    for (variable, widths) in dataset.variables.iter().zip(&layouts) {
        for width in widths {
            let measure = match variable.measure {
                Measure::Nominal => 1,
                Measure::Ordinal => 2,
                Measure::Scale => 3,
            };
            let (columns, alignment) = match variable.storage {
                Storage::Text { .. } => ((*width).clamp(8, 40), 0),
                Storage::Number | Storage::Date => (11, 1),
            };
            for v in [measure, columns as i32, alignment] {
                data.extend_from_slice(&i32::to_le_bytes(v));
            }
        }
    }
    out.extension(11, 4, &data);

    // Long variable names.
    let long: Vec<String> = dataset
        .variables
        .iter()
        .zip(&short_names)
        .map(|(v, names)| format!("{}={}", names[0], v.name))
        .collect();
    out.extension(13, 1, long.join("\t").as_bytes());

    // Very long strings.
    let mut data = String::new();
    for (variable, names) in dataset.variables.iter().zip(&short_names) {
        if let Storage::Text { width } = variable.storage
            && width > SEGMENT
        {
            data.push_str(&format!("{}={width:05}\0\t", names[0]));
        }
    }
    if !data.is_empty() {
        out.extension(14, 1, data.as_bytes());
    }

    out.extension(20, 1, b"UTF-8");
    out.i32(999);
    out.i32(0);

    // Data.
    for row in &dataset.rows {
        for ((cell, variable), widths) in row.iter().zip(&dataset.variables).zip(&layouts) {
            match (cell, variable.storage) {
                (Cell::Number(n), _) => out.f64(*n as f64),
                (Cell::Date(day), _) => out.f64(spss_date(*day)),
                (_, Storage::Number | Storage::Date) => out.f64(SYSMIS),
                (cell, Storage::Text { .. }) => {
                    let text = match cell {
                        Cell::Text(t) => t.as_bytes(),
                        _ => &[],
                    };
                    let mut rest = text;
                    for width in widths {
                        let (segment, after) = rest.split_at(rest.len().min(*width));
                        out.padded(segment, slots(*width) * 8);
                        rest = after;
                    }
                }
            }
        }
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::tests::sample;

    #[test]
    fn very_long_strings_take_255_byte_segments_the_last_one_the_rest() {
        assert_eq!(segments(Storage::Text { width: 255 }), [255]);
        assert_eq!(segments(Storage::Text { width: 256 }), [255, 4]);
        assert_eq!(segments(Storage::Text { width: 600 }), [255, 255, 96]);
        assert_eq!(segments(Storage::Number), [0]);
        assert_eq!(slots(255), 32);
        assert_eq!(slots(0), 1);
    }

    #[test]
    fn formats_and_dates_are_spss_ones() {
        assert_eq!(format(Storage::Number, 0), 0x05_08_00);
        assert_eq!(format(Storage::Date, 0), 0x14_0B_00);
        assert_eq!(format(Storage::Text { width: 36 }, 36), 0x01_24_00);
        let day = NaiveDate::from_ymd_opt(1582, 10, 15).unwrap_or_default();
        assert_eq!(spss_date(day), 86_400.0);
    }

    #[test]
    fn the_file_is_a_header_a_dictionary_and_whole_cases() {
        let dataset = sample();
        let created = NaiveDate::from_ymd_opt(2026, 3, 16)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap_or_default();
        let bytes = write(&dataset, created);
        assert_eq!(&bytes[..4], b"$FL2");
        let int = |at: usize| {
            i32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let case_slots = int(68) as usize;
        assert_eq!(int(80), 4, "cases");
        assert_eq!(&bytes[92..101], b"16 Mar 26");
        // The dictionary ends with 999, 0; then exactly four cases of `case_slots` slots.
        let data = bytes.len() - 4 * case_slots * 8;
        assert_eq!(int(data - 8), 999);
        assert_eq!(int(data - 4), 0);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("$usage=D1 1 6 Usages v0000006 v0000007\n"));
        assert!(text.contains("V0000005=utile"));
        assert!(text.contains("UTF-8"));
    }
}
