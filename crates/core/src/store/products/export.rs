//! The product export: every product, oldest first, as CSV or a JSON array, written as it
//! is read so memory stays bounded whatever the store holds.

use std::io::Write;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{ProductRecord, ProductStore, CHUNK};
use crate::error::{Error, Result};
use crate::keys;
use crate::store::money;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One row per product, a header first.
    Csv,
    /// A JSON array, written as it is read.
    Json,
}

impl ExportFormat {
    /// `csv` or `json`; anything else is refused, naming the field.
    pub fn parse(format: &str) -> Result<Self> {
        match format {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(Error::InvalidJob {
                field: "format".into(),
                rule: format!("`{other}` must be csv or json"),
            }),
        }
    }

    /// The file extension: `csv` or `json`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    /// The media type of what [`ProductStore::export`] writes.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

impl ProductStore {
    /// Writes every product (oldest first) to `out` as CSV or a JSON array, reading
    /// 500 at a time and writing each 500 before reading on, so memory stays bounded
    /// whatever the store holds and a slow reader (an HTTP client, a pipe) slows the export
    /// instead of piling it up. Returns how many were written.
    pub async fn export<W>(&self, format: ExportFormat, out: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let io = |e: std::io::Error| Error::io("cannot write the export", e);
        let mut redis = self.conn.redis();
        let mut start: isize = 0;
        let mut written = 0u64;
        let mut buf = Vec::with_capacity(64 * 1024);
        match format {
            ExportFormat::Csv => writeln!(buf, "{}", CSV_HEADER.join(",")).map_err(io)?,
            ExportFormat::Json => buf.push(b'['),
        }
        loop {
            let ids: Vec<String> = redis::cmd("ZRANGE")
                .arg(keys::products_by_time())
                .arg(start)
                .arg(start + CHUNK - 1)
                .query_async(&mut redis)
                .await?;
            if ids.is_empty() {
                break;
            }
            for p in self.records(&ids).await? {
                match format {
                    ExportFormat::Csv => writeln!(buf, "{}", csv_row(&p)).map_err(io)?,
                    ExportFormat::Json => {
                        if written > 0 {
                            buf.extend_from_slice(b",\n");
                        }
                        serde_json::to_writer(&mut buf, &p)
                            .map_err(|e| io(std::io::Error::other(e)))?;
                    }
                }
                written += 1;
            }
            out.write_all(&buf).await.map_err(io)?;
            buf.clear();
            start += CHUNK;
        }
        if format == ExportFormat::Json {
            buf.extend_from_slice(b"]\n");
        }
        out.write_all(&buf).await.map_err(io)?;
        out.flush().await.map_err(io)?;
        Ok(written)
    }
}

/// The export's columns; prices are in major units of `currency` (what a shopper sees),
/// and their names say so.
const CSV_HEADER: [&str; 14] = [
    "productId",
    "shopId",
    "name",
    "price (major units)",
    "originalPrice (major units)",
    "currency",
    "rating",
    "ratingCount",
    "sold",
    "stock",
    "images",
    "url",
    "source",
    "scrapedAt",
];

fn csv_row(p: &ProductRecord) -> String {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let fields = [
        p.product_id.clone(),
        opt(p.shop_id.clone()),
        p.name.clone(),
        opt(p.price.map(|v| money::major(v, p.currency.as_deref()))),
        opt(p
            .original_price
            .map(|v| money::major(v, p.currency.as_deref()))),
        opt(p.currency.clone()),
        opt(p.rating.map(|v| v.to_string())),
        opt(p.rating_count.map(|v| v.to_string())),
        opt(p.sold.map(|v| v.to_string())),
        opt(p.stock.map(|v| v.to_string())),
        p.images.join(" "),
        opt(p.url.clone()),
        opt(p.source.clone()),
        opt(p.scraped_at.clone()),
    ];
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet never runs a scraped name as a formula.
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) && f.parse::<f64>().is_err() {
        format!("'{f}")
    } else {
        f.to_string()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-5"), "-5");
    }
}
