//! Reading CSV exports: every record up front, columns found by header name.
//!
//! Exporters reorder and add columns between versions (1Password 8 vs 7, Chrome's
//! later `note` column), so columns are looked up by name, ignoring case and
//! surrounding spaces, never by position.

use csv::{ReaderBuilder, StringRecord};

use super::ImportError;

/// A whole CSV file: its header and every record, read and checked before any is
/// turned into an item.
pub(crate) struct CsvInput {
    headers: Vec<String>,
    rows: Vec<Row>,
}

/// One record and where it is.
pub(crate) struct Row {
    /// The line it starts on (the header is line 1).
    pub line: u64,
    fields: StringRecord,
}

/// A column's index, if the file has it.
pub(crate) type Col = Option<usize>;

impl CsvInput {
    /// Reads `input`. A record with another number of fields than the header, or that
    /// is not UTF-8, is an error naming its line.
    pub(crate) fn read(input: &[u8]) -> Result<CsvInput, ImportError> {
        // Spreadsheet programs (and Excel-friendly exporters) put a UTF-8 byte order
        // mark first; it would otherwise become part of the first column's name.
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        if input.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty);
        }
        let mut reader = ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| record_error(&e, 0))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let mut rows = Vec::new();
        for (n, result) in reader.records().enumerate() {
            let fields = result.map_err(|e| record_error(&e, n as u64 + 1))?;
            let line = fields.position().map_or(0, csv::Position::line);
            rows.push(Row { line, fields });
        }
        Ok(CsvInput { headers, rows })
    }

    /// The first column whose name is one of `names` (lower case).
    pub(crate) fn column(&self, names: &[&str]) -> Col {
        names.iter().find_map(|n| self.headers.iter().position(|h| h == n))
    }

    /// Like [`CsvInput::column`] for a column the format always has.
    pub(crate) fn require(&self, format: &'static str, names: &[&'static str]) -> Result<usize, ImportError> {
        self.column(names).ok_or(ImportError::MissingColumn { format, column: names[0] })
    }

    /// The records, in file order.
    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }
}

impl Row {
    /// The value of a column, or "" when the file has no such column.
    pub(crate) fn get(&self, col: Col) -> &str {
        col.and_then(|c| self.fields.get(c)).unwrap_or("")
    }

    /// The value of a column that every record has.
    pub(crate) fn at(&self, col: usize) -> &str {
        self.fields.get(col).unwrap_or("")
    }
}

/// An error for a record the CSV reader refused, with its position.
fn record_error(err: &csv::Error, record: u64) -> ImportError {
    let line = err.position().map_or(0, csv::Position::line);
    let reason = match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}; a quote may be missing or unbalanced")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text; export the file again as UTF-8".to_owned(),
        // Other kinds (I/O on an in-memory slice, deserialisation) do not occur
        // here; their messages hold no field values either.
        _ => err.to_string(),
    };
    let line = if line == 0 { record + 1 } else { line };
    ImportError::Record { line, record, reason }
}

/// Splits one CSV row held in a single field, as Bitwarden writes several URIs into
/// `login_uri` (`https://a,"https://b,c"`).
pub(crate) fn split_row(value: &str) -> Vec<String> {
    let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(value.as_bytes());
    let mut out = Vec::new();
    if let Some(Ok(record)) = reader.records().next() {
        out.extend(record.iter().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_csv_reads_by_header_name() {
        let input = CsvInput::read(b"\xEF\xBB\xBF Name ,URL\nx,\"a\nb\"\ny,z\n").unwrap();
        let name = input.column(&["name"]).unwrap();
        assert_eq!(input.column(&["title", "url"]), Some(1));
        assert_eq!(input.column(&["missing"]), None);
        let rows = input.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].at(name), rows[0].get(Some(1))), (2, "x", "a\nb"));
        // The second record starts on line 4: the first spans two lines.
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].get(None), "");
    }

    #[test]
    fn import_csv_unequal_record_names_its_line() {
        let err = CsvInput::read(b"a,b\n1,2\n\"3,4\n5,6\n").err().unwrap();
        match err {
            ImportError::Record { line, record, .. } => assert_eq!((line, record), (3, 2)),
            other => panic!("{other:?}"),
        }
        let err = CsvInput::read(b"a,b\n1,2\n3\n").err().unwrap().to_string();
        assert_eq!(
            err,
            "line 3 (record 2): 1 fields where the header has 2; a quote may be missing or unbalanced"
        );
    }

    #[test]
    fn import_csv_rejects_empty_and_non_utf8() {
        assert!(matches!(CsvInput::read(b"  \n"), Err(ImportError::Empty)));
        let err = CsvInput::read(b"a,b\n1,\xff\n").err().unwrap().to_string();
        assert!(err.starts_with("line 2 (record 1): not valid UTF-8"), "{err}");
    }

    #[test]
    fn import_csv_split_row() {
        assert_eq!(split_row("https://a,\"https://b,c\",,"), ["https://a", "https://b,c"]);
        assert!(split_row("").is_empty());
    }
}
