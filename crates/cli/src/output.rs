//! Printing: tables for people, JSON with `--json`.

use std::io::Write;
use std::process::ExitCode;

use antrian_core::Config;
use serde::Serialize;

/// Writes `value` as pretty JSON to stdout.
pub fn json<T: Serialize>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// Writes text to stdout.
pub fn text(s: &str) -> std::io::Result<()> {
    std::io::stdout().lock().write_all(s.as_bytes())
}

/// Aligns rows into columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// `antrian config`.
pub fn config(config: &Config, as_json: bool) -> ExitCode {
    let written = if as_json {
        json(&config.entries())
    } else {
        let rows: Vec<Vec<String>> = config
            .entries()
            .iter()
            .map(|e| {
                vec![
                    e.variable.to_string(),
                    match (&e.value, &e.note) {
                        (Some(v), Some(note)) => format!("{v} ({note})"),
                        (Some(v), None) => v.clone(),
                        (None, _) => "(unset)".into(),
                    },
                    e.source.to_string(),
                ]
            })
            .collect();
        text(&table(&["VARIABLE", "VALUE", "SOURCE"], &rows))
    };
    // A closed pipe (`antrian config | head`) is not worth an error message.
    let _ = written;
    ExitCode::SUCCESS
}
