//! Per-site CSS selector rules for the generic adapter, from the TOML file
//! `SCRAPE_SITE_RULES` names:
//!
//! ```toml
//! [sites."shop.example.com"]
//! name = "h1.product-title"
//! price = ".price .amount"
//! currency = "meta[itemprop=priceCurrency]@content"   # `@attr` reads an attribute
//! images = ".gallery img@src"                          # every match
//! ```
//!
//! Fields: `name`, `price`, `original_price`, `currency`, `rating`, `rating_count`, `sold`,
//! `stock`, `images`, `product_id`. Every selector is checked when the file is loaded, so a
//! typo stops start-up with the site and field named instead of failing jobs later.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scraper::Selector;
use serde::Deserialize;

/// The fields a rule can extract.
pub const FIELDS: [&str; 10] = [
    "name",
    "price",
    "original_price",
    "currency",
    "rating",
    "rating_count",
    "sold",
    "stock",
    "images",
    "product_id",
];

/// One selector, and the attribute to read (text when `None`).
#[derive(Debug, Clone)]
pub struct FieldRule {
    /// Where.
    pub selector: Selector,
    /// What: an attribute name, or the element's text.
    pub attribute: Option<String>,
}

/// All site rules, by lower-case host.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    sites: BTreeMap<String, BTreeMap<String, FieldRule>>,
}

/// The rules file is unreadable or wrong.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Cannot be read.
    #[error("cannot read the site rules file {path} (SCRAPE_SITE_RULES): {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML of the expected shape.
    #[error("the site rules file {path} (SCRAPE_SITE_RULES) is not valid: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A field or selector is wrong.
    #[error("the site rules file {path}: [sites.\"{site}\"] {field}: {message}")]
    Rule {
        /// The file.
        path: PathBuf,
        /// The site.
        site: String,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    sites: BTreeMap<String, BTreeMap<String, String>>,
}

impl SiteRules {
    /// No rules.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads and checks the file.
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses rules text (`path` only names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RulesError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut sites = BTreeMap::new();
        for (site, fields) in file.sites {
            let mut rules = BTreeMap::new();
            for (field, spec) in fields {
                let bad = |message: String| RulesError::Rule {
                    path: path.to_path_buf(),
                    site: site.clone(),
                    field: field.clone(),
                    message,
                };
                if !FIELDS.contains(&field.as_str()) {
                    return Err(bad(format!(
                        "unknown field; the fields are {}",
                        FIELDS.join(", ")
                    )));
                }
                let (css, attribute) = match spec.rsplit_once('@') {
                    Some((css, attr)) if !attr.is_empty() && !attr.contains([' ', ']']) => {
                        (css, Some(attr.to_string()))
                    }
                    _ => (spec.as_str(), None),
                };
                let selector = Selector::parse(css)
                    .map_err(|e| bad(format!("`{css}` is not a CSS selector: {e}")))?;
                rules.insert(
                    field,
                    FieldRule {
                        selector,
                        attribute,
                    },
                );
            }
            sites.insert(site.to_ascii_lowercase(), rules);
        }
        Ok(Self { sites })
    }

    /// The rules for `host`, if any.
    pub fn for_host(&self, host: &str) -> Option<&BTreeMap<String, FieldRule>> {
        self.sites.get(&host.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_names_the_site_and_the_field() {
        let path = Path::new("rules.toml");
        let ok = SiteRules::parse(
            path,
            "[sites.\"Shop.Example\"]\nname = \"h1\"\nimages = \".gallery img@src\"\n",
        );
        let rules = ok.unwrap_or_default();
        let site = rules.for_host("shop.example");
        assert!(site.is_some_and(|s| s["images"].attribute.as_deref() == Some("src")));

        let err = SiteRules::parse(path, "[sites.\"a.com\"]\nprice = \"..bad\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("[sites.\"a.com\"] price") && err.contains("not a CSS selector"),
            "{err}"
        );

        let err = SiteRules::parse(path, "[sites.\"a.com\"]\ncolour = \"h1\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field"), "{err}");

        let err = SiteRules::parse(path, "sites = 3\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not valid"), "{err}");
    }
}
