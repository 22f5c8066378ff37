//! Prices as Antrian keeps them and as people read them. The product store keeps a price
//! in integer minor units of its ISO 4217 currency (cents, or hundredths of a rupiah);
//! every face (the window, the CLI, exports) shows it in major units through here, so a
//! page priced Rp 15.990 reads "15,990 IDR" everywhere and never "1,599,000 IDR".

/// Decimal digits of a currency's minor unit (ISO 4217; 2 unless listed).
pub fn minor_digits(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A decimal amount in major units (`19.99`) to minor units (`1999`); `None` for what is
/// not a price (negative, not finite, beyond 2^53 minor units).
pub fn to_minor(amount: f64, currency: &str) -> Option<i64> {
    if !amount.is_finite() || amount < 0.0 {
        return None;
    }
    let scaled = (amount * 10f64.powi(digits_i32(currency))).round();
    // Below 2^53, so the cast to i64 is exact.
    (scaled < 9.0e15).then_some(scaled as i64)
}

fn digits_i32(currency: &str) -> i32 {
    i32::try_from(minor_digits(currency)).unwrap_or(2)
}

/// A stored price in major units, as a plain decimal with the currency's digits
/// (`15990.00`, `19.99`, `1500`): for exports. Without a currency the number is as given.
pub fn major(minor: f64, currency: Option<&str>) -> String {
    match currency {
        Some(c) => {
            let digits = minor_digits(c);
            format!("{:.*}", digits as usize, minor / 10f64.powi(digits_i32(c)))
        }
        None => trim(format!("{minor}")),
    }
}

/// A stored price as a shopper reads it: major units with thousands separators, the
/// fraction only when there is one, and the currency (`15,990 IDR`, `19.99 USD`).
pub fn display(minor: f64, currency: Option<&str>) -> String {
    let text = major(minor, currency);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if !fraction.is_empty() && fraction.chars().any(|c| c != '0') {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    match currency {
        Some(c) => format!("{grouped} {}", c.to_ascii_uppercase()),
        None => grouped,
    }
}

fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_as_a_shopper_sees_them() {
        assert_eq!(display(1_599_000.0, Some("IDR")), "15,990 IDR");
        assert_eq!(display(1999.0, Some("usd")), "19.99 USD");
        assert_eq!(display(150_000.0, Some("JPY")), "150,000 JPY");
        assert_eq!(display(1_234_567.0, Some("KWD")), "1,234.567 KWD");
        assert_eq!(display(100_000.0, None), "100,000");
        assert_eq!(major(1_599_000.0, Some("IDR")), "15990.00");
        assert_eq!(major(5.0, Some("USD")), "0.05");
        assert_eq!(major(12.5, None), "12.5");
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(to_minor(19.99, "USD"), Some(1999));
        assert_eq!(to_minor(15_990.0, "IDR"), Some(1_599_000));
        assert_eq!(to_minor(1500.0, "JPY"), Some(1500));
        assert_eq!(to_minor(1.234, "KWD"), Some(1234));
        assert_eq!(to_minor(-1.0, "USD"), None);
    }
}
