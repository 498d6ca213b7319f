//! Many rows in one statement whose text never changes: the rows travel as one JSON array
//! parameter, which the database unpacks (`json_each` on SQLite, `jsonb_array_elements` on
//! PostgreSQL).
//!
//! Why: a multi-row `VALUES` list has one bound value per cell, so its text changes with the
//! number of rows and every batch of responses was a new statement to parse and plan. With
//! one parameter the text stays the same and the connection's statement cache keeps it; on
//! PostgreSQL this took the form answering from about 520 to 780 responses a second. On
//! SQLite, unpacking the JSON costs about what the compiling it replaces did, and writing one
//! string per row is cheaper than a bound value per cell; the rows of a response are written
//! on the thread of its request (`store::submissions::Submission::ready`).

use std::io::Write as _;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

/// How a column's cell is written in the array and read back by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 32 hex digits; stored as the 16-byte blob sqlx writes on SQLite, as `uuid` on
    /// PostgreSQL.
    Uuid,
    Text,
    Int,
    /// `YYYY-MM-DD`, as sqlx writes a date on SQLite.
    Date,
    /// RFC 3339, as sqlx writes a timestamp on SQLite.
    Timestamp,
}

/// A table filled from a JSON array of rows, each row an array of cells in `columns` order.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// What follows `ON CONFLICT`, the same on both databases (`excluded.column` is the row
    /// being inserted), or `None` for a plain insert.
    pub on_conflict: Option<&'static str>,
}

impl Table {
    /// `INSERT INTO … SELECT … FROM <the rows>`: one statement, one parameter.
    pub fn insert(&self, rows: JsonRows) -> Statement {
        let backend = rows.backend;
        let columns: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        let cells: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(index, (_, kind))| cell(backend, index, *kind))
            .collect();
        // `WHERE true`: without it SQLite would read `ON CONFLICT` as the join's `ON`.
        let mut sql = format!(
            "INSERT INTO {} ({}) SELECT {} FROM {} WHERE true",
            self.name,
            columns.join(", "),
            cells.join(", "),
            source(backend),
        );
        if let Some(conflict) = self.on_conflict {
            sql.push_str(" ON CONFLICT ");
            sql.push_str(conflict);
        }
        rows.statement(sql)
    }
}

/// The expression reading cell `index` of the current row as `kind`.
pub fn cell(backend: DbBackend, index: usize, kind: Kind) -> String {
    match (backend, kind) {
        (DbBackend::Postgres, Kind::Uuid) => format!("(value->>{index})::uuid"),
        (DbBackend::Postgres, Kind::Int) => format!("(value->>{index})::bigint"),
        (DbBackend::Postgres, Kind::Date) => format!("(value->>{index})::date"),
        (DbBackend::Postgres, Kind::Timestamp) => format!("(value->>{index})::timestamptz"),
        (_, Kind::Uuid) => format!("unhex(value->>{index})"),
        (_, _) => format!("value->>{index}"),
    }
}

/// The rows of the array, one per row, each in a column named `value`.
pub fn source(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => "jsonb_array_elements($1::jsonb)".to_owned(),
        _ => "json_each(?)".to_owned(),
    }
}

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Uuid(Uuid),
    Text(&'a str),
    Int(i64),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Null,
}

impl<'a> From<Option<Uuid>> for Cell<'a> {
    fn from(id: Option<Uuid>) -> Self {
        id.map_or(Cell::Null, Cell::Uuid)
    }
}

impl<'a> From<Option<NaiveDate>> for Cell<'a> {
    fn from(day: Option<NaiveDate>) -> Self {
        day.map_or(Cell::Null, Cell::Date)
    }
}

/// A JSON array of rows being written.
#[derive(Debug, Clone)]
pub struct JsonRows {
    backend: DbBackend,
    json: Vec<u8>,
    rows: usize,
}

impl JsonRows {
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            json: b"[".to_vec(),
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row.
    pub fn push(&mut self, cells: &[Cell]) {
        if self.rows > 0 {
            self.json.push(b',');
        }
        self.json.push(b'[');
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            self.write(*cell);
        }
        self.json.push(b']');
        self.rows += 1;
    }

    /// Appends the rows of `other`, written for the same database.
    pub fn append(&mut self, other: &JsonRows) {
        if other.rows == 0 {
            return;
        }
        if self.rows > 0 {
            self.json.push(b',');
        }
        // `other` is still open: its opening bracket, then its rows.
        self.json.extend_from_slice(&other.json[1..]);
        self.rows += other.rows;
    }

    fn write(&mut self, cell: Cell) {
        let json = &mut self.json;
        // Writing into a `Vec<u8>` cannot fail, and a `&str` always serialises.
        let _ = match cell {
            Cell::Uuid(id) => write!(json, "\"{}\"", id.simple()),
            Cell::Text(text) => {
                serde_json::to_writer(&mut *json, text).map_err(std::io::Error::other)
            }
            Cell::Int(n) => write!(json, "{n}"),
            Cell::Date(day) => write!(json, "\"{}\"", day.format("%F")),
            Cell::Timestamp(at) => {
                // PostgreSQL keeps microseconds; SQLite the text sqlx would have written.
                let precision = match self.backend {
                    DbBackend::Postgres => SecondsFormat::Micros,
                    _ => SecondsFormat::AutoSi,
                };
                write!(json, "\"{}\"", at.to_rfc3339_opts(precision, false))
            }
            Cell::Null => json.write_all(b"null"),
        };
    }

    /// The statement `sql`, whose only parameter is this array.
    pub fn statement(mut self, sql: String) -> Statement {
        self.json.push(b']');
        // Only `write` above fills the buffer, with UTF-8 text.
        let json = String::from_utf8(self.json).unwrap_or_default();
        Statement::from_sql_and_values(self.backend, sql, [Value::from(json)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWERS: Table = Table {
        name: "answers",
        columns: &[
            ("response_id", Kind::Uuid),
            ("question_id", Kind::Text),
            ("position", Kind::Int),
        ],
        on_conflict: None,
    };

    fn json_of(statement: &Statement) -> String {
        match statement.values.as_ref().map(|v| v.0.as_slice()) {
            Some([Value::String(Some(json))]) => json.to_string(),
            other => panic!("one JSON parameter expected, got {other:?}"),
        }
    }

    #[test]
    fn rows_become_one_json_array_with_escaped_text() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut rows = JsonRows::new(DbBackend::Sqlite);
        rows.push(&[
            Cell::Uuid(id),
            Cell::Text("l'« été »\n\"x\""),
            Cell::Int(-3),
        ]);
        rows.push(&[Cell::Null, Cell::Text(""), Cell::Int(0)]);
        assert_eq!(rows.len(), 2);
        let statement = ANSWERS.insert(rows);
        let json = json_of(&statement);
        assert_eq!(
            json,
            r#"[["0123456789abcdef0123456789abcdef","l'« été »\n\"x\"",-3],[null,"",0]]"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed[0][1], "l'« été »\n\"x\"");
    }

    #[test]
    fn appended_rows_follow_the_rows_already_there() {
        let row = |n: i64| {
            let mut rows = JsonRows::new(DbBackend::Sqlite);
            rows.push(&[Cell::Null, Cell::Text("q"), Cell::Int(n)]);
            rows
        };
        let mut all = JsonRows::new(DbBackend::Sqlite);
        all.append(&JsonRows::new(DbBackend::Sqlite));
        all.append(&row(1));
        all.append(&JsonRows::new(DbBackend::Sqlite));
        let mut two = row(2);
        two.append(&row(3));
        all.append(&two);
        assert_eq!(all.len(), 3);
        assert_eq!(
            json_of(&ANSWERS.insert(all)),
            r#"[[null,"q",1],[null,"q",2],[null,"q",3]]"#
        );
    }

    #[test]
    fn an_empty_array_is_still_valid_json() {
        let rows = JsonRows::new(DbBackend::Postgres);
        assert!(rows.is_empty());
        assert_eq!(json_of(&ANSWERS.insert(rows)), "[]");
    }

    #[test]
    fn the_statement_text_does_not_depend_on_the_rows() {
        let mut few = JsonRows::new(DbBackend::Sqlite);
        few.push(&[Cell::Null, Cell::Text("a"), Cell::Int(1)]);
        let mut many = JsonRows::new(DbBackend::Sqlite);
        for n in 0..500 {
            many.push(&[Cell::Null, Cell::Text("b"), Cell::Int(n)]);
        }
        assert_eq!(ANSWERS.insert(few).sql, ANSWERS.insert(many).sql);
    }

    #[test]
    fn each_backend_reads_the_cells_its_own_way() {
        let sqlite = ANSWERS.insert(JsonRows::new(DbBackend::Sqlite)).sql;
        assert_eq!(
            sqlite,
            "INSERT INTO answers (response_id, question_id, position) \
             SELECT unhex(value->>0), value->>1, value->>2 FROM json_each(?) WHERE true"
        );
        let postgres = ANSWERS.insert(JsonRows::new(DbBackend::Postgres)).sql;
        assert_eq!(
            postgres,
            "INSERT INTO answers (response_id, question_id, position) \
             SELECT (value->>0)::uuid, value->>1, (value->>2)::bigint \
             FROM jsonb_array_elements($1::jsonb) WHERE true"
        );
    }

    #[test]
    fn dates_and_instants_are_written_as_sqlx_writes_them() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T19:20:04.178420999+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut sqlite = JsonRows::new(DbBackend::Sqlite);
        sqlite.push(&[
            Cell::Date(day),
            Cell::Timestamp(at),
            Cell::from(None::<NaiveDate>),
        ]);
        assert_eq!(
            json_of(&ANSWERS.insert(sqlite)),
            r#"[["2026-11-22","2026-11-22T19:20:04.178420999+00:00",null]]"#
        );
        let mut postgres = JsonRows::new(DbBackend::Postgres);
        postgres.push(&[Cell::Timestamp(at)]);
        assert_eq!(
            json_of(&ANSWERS.insert(postgres)),
            r#"[["2026-11-22T19:20:04.178420+00:00"]]"#
        );
    }
}
