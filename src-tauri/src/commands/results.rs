//! What the jobs gathered: products, per-site statistics, the product export.

use antrian_core::connection::status::StatusError;
use antrian_core::store::{ExportFormat, ProductFilter, ProductPage, ProductQuery, ProductStore};
use antrian_core::Error;
use antrian_jobs::scrape::stats::{domain_stats, DomainStats};
use tauri::State;

use crate::shell::Shell;

use super::{fail, Reply};

#[tauri::command]
pub async fn list_products(shell: State<'_, Shell>, query: ProductQuery) -> Reply<ProductPage> {
    let store = ProductStore::new(shell.handle()?.connection);
    let page_size = query.page_size();
    let filter = ProductFilter {
        shop: query.shop,
        name: query.q,
    };
    store
        .list(&filter, query.page, page_size)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_sites(shell: State<'_, Shell>) -> Reply<Vec<DomainStats>> {
    let redis = shell.handle()?.connection.redis();
    domain_stats(&redis).await.map_err(|e| fail(Error::from(e)))
}

/// Writes every product to `Downloads/antrian-products-<time>.<csv|json>`; the file's path.
#[tauri::command]
pub async fn export_products(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    format: String,
) -> Reply<String> {
    use tauri::Manager;
    let kind = ExportFormat::parse(&format).map_err(fail)?;
    let ext = kind.extension();
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| StatusError {
            code: antrian_core::ErrorCode::Unavailable,
            message: format!("no folder to save the export in: {e}"),
        })?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("antrian-products-{stamp}.{ext}"));
    let store = ProductStore::new(shell.handle()?.connection);
    let file = tokio::fs::File::create(&path).await.map_err(|e| {
        fail(Error::Io {
            context: format!("cannot create {}", path.display()),
            source: e,
        })
    })?;
    // export() flushes what it wrote before it answers.
    let mut out = tokio::io::BufWriter::new(file);
    store.export(kind, &mut out).await.map_err(fail)?;
    Ok(path.display().to_string())
}
