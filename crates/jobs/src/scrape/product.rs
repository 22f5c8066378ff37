//! The normalised product every adapter produces, and turning prices into integer minor
//! units.

use serde::{Deserialize, Serialize};

/// A product as Antrian stores it, whatever site it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// The site's product id (item id, SKU, or the canonical URL when the page has none).
    pub product_id: String,
    /// The site's shop / seller id, when it has one.
    pub shop_id: Option<String>,
    /// Product name.
    pub name: String,
    /// Current price in minor units of `currency` (cents; IDR has 2 decimals in ISO 4217).
    pub price: i64,
    /// Price before discount, minor units.
    pub original_price: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    /// Average rating, usually 0–5.
    pub rating: Option<f64>,
    /// Ratings behind the average.
    pub rating_count: Option<u64>,
    /// Units sold.
    pub sold: Option<u64>,
    /// Units in stock.
    pub stock: Option<u64>,
    /// Image URLs.
    pub images: Vec<String>,
    /// Canonical page URL.
    pub url: String,
    /// Which adapter read it (`marketplace-api`, `marketplace-page`, `json-ld`, `opengraph`,
    /// `css-rules`).
    pub source: String,
    /// When it was read (RFC 3339, UTC).
    pub scraped_at: String,
}

pub use antrian_core::store::money::{minor_digits, to_minor};

/// Reads a price as people write it — `Rp 1.234.567`, `$1,234.56`, `1.234,56 €`, `19.99`
/// — into major units. A lone separator followed by exactly three digits is a thousands
/// separator (`Rp 100.000`), otherwise the last separator is the decimal point.
pub fn parse_amount(text: &str) -> Option<f64> {
    let kept: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\''))
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\''))
        .collect();
    let kept = kept.trim_end_matches(['.', ',']);
    if kept.is_empty() {
        return None;
    }
    let last_sep = kept.rfind(['.', ',']);
    let normalised = match last_sep {
        None => kept.to_string(),
        Some(i) => {
            let sep = kept.as_bytes()[i] as char;
            let other = if sep == '.' { ',' } else { '.' };
            let decimals = kept.len() - i - 1;
            let lone = kept.matches(sep).count() == 1 && !kept.contains(other);
            if lone && decimals == 3 || kept.matches(sep).count() > 1 && !kept.contains(other) {
                kept.replace(sep, "")
            } else {
                let (int, frac) = kept.split_at(i);
                format!("{}.{}", int.replace(['.', ','], ""), &frac[1..])
            }
        }
    };
    normalised.parse().ok()
}

/// Currency symbols and codes seen in price text, to ISO 4217.
pub fn currency_from_text(text: &str) -> Option<String> {
    let t = text.trim();
    for code in [
        "IDR", "MYR", "SGD", "PHP", "THB", "VND", "TWD", "BRL", "USD", "EUR", "GBP", "JPY",
    ] {
        if t.to_ascii_uppercase().contains(code) {
            return Some(code.to_string());
        }
    }
    let by_symbol = [
        ("Rp", "IDR"),
        ("RM", "MYR"),
        ("S$", "SGD"),
        ("₱", "PHP"),
        ("฿", "THB"),
        ("₫", "VND"),
        ("NT$", "TWD"),
        ("R$", "BRL"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("¥", "JPY"),
        ("$", "USD"),
    ];
    by_symbol
        .iter()
        .find(|(symbol, _)| t.contains(symbol))
        .map(|(_, code)| (*code).to_string())
}

/// Parses a count such as `1.2k`, `10RB`, `1,234 sold`.
pub fn parse_count(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let amount = parse_amount(&t)?;
    let after: String = t
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .skip_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .collect();
    let factor = match after.trim_start() {
        s if s.starts_with("rb") || s.starts_with('k') => 1_000.0,
        s if s.starts_with("jt") || s.starts_with('m') => 1_000_000.0,
        _ => 1.0,
    };
    let n = (amount * factor).round();
    (0.0..1.0e15).contains(&n).then_some(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_as_people_write_them() {
        let cases = [
            ("Rp 100.000", Some(100_000.0)),
            ("Rp1.234.567", Some(1_234_567.0)),
            ("$1,234.56", Some(1234.56)),
            ("1.234,56 €", Some(1234.56)),
            ("19.99", Some(19.99)),
            ("19,9", Some(19.9)),
            ("USD 5", Some(5.0)),
            ("free", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_amount(text), want, "{text}");
        }
    }

    #[test]
    fn currencies_and_counts() {
        assert_eq!(currency_from_text("Rp 100.000").as_deref(), Some("IDR"));
        assert_eq!(currency_from_text("RM 12.90").as_deref(), Some("MYR"));
        assert_eq!(currency_from_text("$3").as_deref(), Some("USD"));
        assert_eq!(currency_from_text("12").as_deref(), None);
        assert_eq!(parse_count("1,234 sold"), Some(1234));
        assert_eq!(parse_count("10RB terjual"), Some(10_000));
        assert_eq!(parse_count("1.2k"), Some(1200));
        assert_eq!(parse_count("none"), None);
    }
}
