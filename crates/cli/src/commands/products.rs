//! `antrian products list|get|export`: the product store scraping fills.

use std::process::ExitCode;

use antrian_core::store::{money, ExportFormat, PriceText, ProductFilter, ProductStore};
use antrian_core::Runtime;
use clap::Subcommand;

use crate::{output, CliError};

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Products, newest scraped first.
    List {
        /// Only this shop's products.
        #[arg(long)]
        shop: Option<String>,
        /// Only products whose name contains this (case-insensitive).
        #[arg(long)]
        name: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Products per page (1–500).
        #[arg(long, default_value_t = antrian_core::store::products::DEFAULT_PAGE)]
        page_size: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One product with its price and stock history.
    Get {
        /// The product id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every product as CSV or JSON, streamed (to standard output unless --output).
    Export {
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

/// Runs one `antrian products` command.
pub async fn run(rt: &Runtime, cmd: ProductsCommand) -> Result<ExitCode, CliError> {
    let store = ProductStore::new(rt.connection().clone());
    match cmd {
        ProductsCommand::List {
            shop,
            name,
            page,
            page_size,
            json,
        } => {
            let page = store
                .list(&ProductFilter { shop, name }, page, page_size)
                .await?;
            let _ = if json {
                output::json(&page)
            } else if page.products.is_empty() {
                output::text("no products\n")
            } else {
                let rows = page
                    .products
                    .iter()
                    .map(|p| {
                        vec![
                            p.product_id.clone(),
                            p.shop_id.clone().unwrap_or_default(),
                            p.name.chars().take(50).collect(),
                            PriceText::of(p).price.unwrap_or_default(),
                            p.scraped_at.clone().unwrap_or_default(),
                        ]
                    })
                    .collect::<Vec<_>>();
                output::text(&output::table(
                    &["ID", "SHOP", "NAME", "PRICE", "SCRAPED"],
                    &rows,
                ))
            };
        }
        ProductsCommand::Get { id, json } => {
            let product = store.get(&id).await?;
            let history = store.history(&id).await?;
            let _ = if json {
                output::json(&serde_json::json!({"product": product, "history": history}))
            } else {
                let mut text = serde_json::to_string_pretty(&product).unwrap_or_default();
                text.push_str("\nhistory (newest first):\n");
                for h in &history {
                    text.push_str(&format!(
                        "  {}  price {}  stock {}\n",
                        chrono::DateTime::from_timestamp_millis(h.at)
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_default(),
                        h.price
                            .map(|p| money::display(p, product.currency.as_deref()))
                            .unwrap_or_else(|| "-".into()),
                        h.stock.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                    ));
                }
                output::text(&text)
            };
        }
        ProductsCommand::Export { format, output } => {
            let format = ExportFormat::parse(&format)?;
            let count = match output {
                Some(path) => {
                    let file = tokio::fs::File::create(&path).await.map_err(|e| {
                        CliError::Usage(format!("cannot write {}: {e}", path.display()))
                    })?;
                    let mut out = tokio::io::BufWriter::new(file);
                    store.export(format, &mut out).await?
                }
                None => {
                    let mut out = tokio::io::BufWriter::new(tokio::io::stdout());
                    store.export(format, &mut out).await?
                }
            };
            tracing::info!(products = count, "exported");
        }
    }
    Ok(ExitCode::SUCCESS)
}
