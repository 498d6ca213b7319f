//! Reading the CSV exports staff already have: UTF-8 (with or without BOM) or Windows-1252,
//! `;` or `,` separated, headers in French (or the API's English names).

use std::collections::HashMap;

/// A row with its line number in the file (the header is line 1).
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    values: HashMap<&'static str, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.values
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub rows: Vec<Row>,
    /// Header names that match no known column, ignored.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("ligne {line} : {message}")]
    Malformed { line: usize, message: String },
    #[error("ligne 1 : colonne(s) obligatoire(s) absente(s) : {0}")]
    MissingColumns(String),
    #[error("le fichier est vide")]
    Empty,
}

/// A column: its canonical name and the header spellings accepted for it.
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        // Not UTF-8: Excel's "CSV (séparateur : point-virgule)" writes Windows-1252.
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn normalize_header(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '-' | '\'' | '’' => '_',
            c => c,
        })
        .collect()
}

/// The line of the record starting at `byte`; a record's position may point at the blank
/// lines before it, which are not part of it.
fn line_at(text: &str, byte: usize) -> usize {
    let bytes = text.as_bytes();
    let start = byte.min(bytes.len());
    let skipped = bytes[start..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    bytes[..start + skipped]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub fn read(bytes: &[u8], columns: &[Column]) -> Result<Table, TableError> {
    let text = decode(bytes);
    let first_line = text.lines().next().ok_or(TableError::Empty)?;
    let delimiter = if first_line.matches(';').count() >= first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| TableError::Malformed {
        line: 1,
        message: e.to_string(),
    })?;
    let mut mapping: Vec<Option<&'static str>> = Vec::new();
    let mut ignored_columns = Vec::new();
    for header in headers {
        let normalized = normalize_header(header);
        let column = columns
            .iter()
            .find(|c| c.name == normalized || c.aliases.contains(&normalized.as_str()));
        if column.is_none() && !header.trim().is_empty() {
            ignored_columns.push(header.to_owned());
        }
        mapping.push(column.map(|c| c.name));
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.required && !mapping.contains(&Some(c.name)))
        .map(|c| c.name)
        .collect();
    if !missing.is_empty() {
        return Err(TableError::MissingColumns(missing.join(", ")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Malformed {
            line: e
                .position()
                .map_or(0, |p| line_at(&text, p.byte() as usize)),
            message: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    format!("{len} colonnes au lieu de {expected_len}")
                }
                _ => e.to_string(),
            },
        })?;
        // From the byte offset: csv's own line counter skips blank lines.
        let line = record
            .position()
            .map_or(0, |p| line_at(&text, p.byte() as usize));
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let values = mapping
            .iter()
            .zip(record.iter())
            .filter_map(|(column, value)| column.map(|c| (c, value.to_owned())))
            .collect();
        rows.push(Row { line, values });
    }
    Ok(Table {
        rows,
        ignored_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            name: "email",
            aliases: &["courriel", "mail"],
            required: true,
        },
        Column {
            name: "nom",
            aliases: &["name"],
            required: false,
        },
        Column {
            name: "entite",
            aliases: &["entity"],
            required: false,
        },
    ];

    #[test]
    fn reads_utf8_with_bom_and_semicolons() {
        let table = read(
            "\u{feff}Courriel;Nom;Entité\na@example.org;Zoé;anact\n".as_bytes(),
            COLUMNS,
        )
        .unwrap();
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].line, 2);
        assert_eq!(table.rows[0].get("nom"), Some("Zoé"));
        assert_eq!(table.rows[0].get("entite"), Some("anact"));
    }

    #[test]
    fn reads_windows_1252_with_commas() {
        let mut bytes = b"email,nom,service\nb@example.org,Ren".to_vec();
        bytes.push(0xE9); // é in Windows-1252
        bytes.extend_from_slice(b"e,RH\n");
        let table = read(&bytes, COLUMNS).unwrap();
        assert_eq!(table.rows[0].get("nom"), Some("Renée"));
        assert_eq!(table.ignored_columns, ["service"]);
    }

    #[test]
    fn missing_columns_and_ragged_rows_are_reported_with_lines() {
        assert_eq!(
            read(b"nom;entite\nx;y\n", COLUMNS).unwrap_err(),
            TableError::MissingColumns("email".into())
        );
        let err = read(b"email;nom\na@example.org;A\nb@example.org\n", COLUMNS).unwrap_err();
        assert_eq!(err.to_string(), "ligne 3 : 1 colonnes au lieu de 2");
        assert_eq!(read(b"", COLUMNS).unwrap_err(), TableError::Empty);
    }

    #[test]
    fn blank_lines_are_skipped_but_line_numbers_kept() {
        let table = read(b"email\na@example.org\n\nb@example.org\n", &COLUMNS[..1]).unwrap();
        let lines: Vec<usize> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
    }
}
