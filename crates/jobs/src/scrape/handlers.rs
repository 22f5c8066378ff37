//! The four scraping jobs of the seed, as handlers of the scraping pool: product and batch
//! scraping here, `shop` and `orders` in their own modules.

use std::collections::HashMap;
use std::sync::Arc;

use antrian_core::config::ScrapeConfig;
use antrian_core::queue::{BulkJobInput, JobOptionsInput, QueueManager};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use bullmq::redis_connection::AnyConnection;
use serde_json::{json, Value};
use url::Url;

use super::fetch::{FetchOptions, Fetcher};
use super::input::{self, BatchJob, ProductJob};
use super::marketplace::{self, ApiError, Target};
use super::product::Product;
use super::rules::SiteRules;
use super::{generic, ScrapeError};

mod orders;
mod shop;

/// The jobs this module handles (the seed's names).
pub const JOBS: [&str; 4] = [
    "product-scraping",
    "shop-scraping",
    "order-scraping",
    "batch-scraping",
];

/// Where saved products go (handled in data processing).
const DATA_QUEUE: &str = "data-processing-queue";
/// Products per `save-product-data` job.
const SAVE_CHUNK: usize = 100;

/// Everything the scraping handlers share in one process.
pub struct Scraper {
    fetcher: Fetcher,
    queues: Arc<QueueManager>,
    rules: Arc<SiteRules>,
    redis: AnyConnection,
}

impl std::fmt::Debug for Scraper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scraper").finish_non_exhaustive()
    }
}

impl Scraper {
    /// Builds the HTTP clients and loads the site rules (errors name the file and rule).
    pub fn new(
        redis: AnyConnection,
        queues: Arc<QueueManager>,
        config: &ScrapeConfig,
    ) -> Result<Self, ScrapeError> {
        let rules = match &config.site_rules {
            Some(path) => SiteRules::load(path)?,
            None => SiteRules::none(),
        };
        Ok(Self {
            fetcher: Fetcher::new(redis.clone(), Arc::new(config.clone()))?,
            queues,
            rules: Arc::new(rules),
            redis,
        })
    }

    /// Routes the four scraping jobs to this scraper.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        for name in JOBS {
            let s = self.clone();
            registry.register(
                WorkerType::Scraping,
                name,
                handler_fn(move |ctx| {
                    let s = s.clone();
                    async move { s.run(ctx).await }
                }),
            );
        }
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobError> {
        match ctx.name() {
            "product-scraping" => self.product_job(ctx).await,
            "shop-scraping" => self.shop_job(ctx).await,
            "order-scraping" => self.order_job(ctx).await,
            "batch-scraping" => self.batch_job(ctx).await,
            other => Err(JobError::discard(format!(
                "the scraper has no job `{other}`"
            ))),
        }
    }

    fn config(&self) -> &ScrapeConfig {
        self.fetcher.config()
    }

    fn fetch_options(&self, use_proxy: bool) -> FetchOptions {
        FetchOptions {
            use_proxy,
            headers: Vec::new(),
        }
    }

    async fn product_job(&self, mut ctx: JobContext) -> Result<Value, JobError> {
        let job: ProductJob = input::parse(ctx.name(), ctx.data()).map_err(JobError::discard)?;
        let url = input::page_url("url", &job.url)
            .map_err(|e| JobError::discard(format!("invalid product-scraping data: {e}")))?;
        if job.options.use_proxy && !self.fetcher.has_proxies() {
            ctx.log("options.useProxy is set but SCRAPE_PROXIES is empty: fetching directly")
                .await?;
        }
        ctx.progress(10.0).await?;
        let product = self
            .scrape_product(&ctx, &url, job.options.use_proxy)
            .await?;
        ctx.progress(80.0).await?;
        let saved = self
            .save_products(&format!("save-{}", ctx.id()), vec![product.clone()])
            .await?;
        ctx.progress(100.0).await?;
        Ok(json!({
            "productId": product.product_id,
            "shopId": product.shop_id,
            "name": product.name,
            "price": product.price,
            "currency": product.currency,
            "source": product.source,
            "url": product.url,
            "saveJobs": saved,
        }))
    }

    /// One product from its page: the marketplace API with the page as fallback, or the
    /// generic adapter for any other site.
    async fn scrape_product(
        &self,
        ctx: &JobContext,
        url: &Url,
        use_proxy: bool,
    ) -> Result<Product, JobError> {
        let cancel = ctx.cancel_token();
        let opts = self.fetch_options(use_proxy);
        let now = now();
        if !marketplace::handles(self.config(), url) {
            let page = self.fetcher.get(url, &opts, &cancel).await?;
            return self.extract(page, now).await.map_err(JobError::discard);
        }
        let (shop_id, item_id) = match marketplace::parse_target(url) {
            Some(Target::Product { shop_id, item_id }) => (shop_id, item_id),
            Some(_) => {
                return Err(JobError::discard(format!(
                    "{url} is a shop page; add a shop-scraping job with it as shopUrl"
                )))
            }
            None => {
                return Err(JobError::discard(format!(
                    "{url} is not a product URL of {}: expected /product/{{shopId}}/{{itemId}} or /{{name}}-i.{{shopId}}.{{itemId}}",
                    url.host_str().unwrap_or_default()
                )))
            }
        };
        let api = marketplace::item_url(self.config(), url, &shop_id, &item_id)
            .map_err(JobError::discard)?;
        let api_problem = match self.fetcher.get_json(&api, &opts, &cancel).await {
            Ok(body) => match marketplace::api_data(&body, &format!("item {item_id}")) {
                Ok(item) => {
                    match marketplace::item_product(
                        self.config(),
                        url,
                        item,
                        "marketplace-api",
                        &now,
                    ) {
                        Ok(p) => return Ok(p),
                        Err(why) => why,
                    }
                }
                Err(ApiError::Missing(why)) => return Err(JobError::discard(why)),
                Err(ApiError::Other(why)) => why,
            },
            Err(f) if matches!(f.status(), Some(404 | 410)) => {
                return Err(JobError::discard(format!(
                    "item {item_id} does not exist: {}",
                    f.error
                )))
            }
            Err(f) => f.error.to_string(),
        };
        ctx.log(&format!(
            "item API failed ({api_problem}); reading the product page"
        ))
        .await?;
        let page = self.fetcher.get(url, &opts, &cancel).await.map_err(|f| {
            f.error
                .with_suffix(&format!(" (the item API failed too: {api_problem})"))
        })?;
        let mut product = self
            .extract(page, now)
            .await
            .map_err(|why| JobError::discard(format!("item API: {api_problem}; page: {why}")))?;
        product.source = format!("marketplace-page/{}", product.source);
        product.shop_id.get_or_insert(shop_id);
        product.product_id = item_id;
        Ok(product)
    }

    /// Runs the generic adapter off the async threads: parsing a large page takes
    /// milliseconds, which would hold up every other job's I/O and lock renewal.
    async fn extract(&self, page: super::fetch::Page, now: String) -> Result<Product, String> {
        let rules = self.rules.clone();
        tokio::task::spawn_blocking(move || generic::extract(&page.url, &page.body, &rules, &now))
            .await
            .unwrap_or_else(|e| Err(format!("the page parser crashed: {e}")))
    }

    /// A batch is a BullMQ flow run in waves of `options.concurrency` children: add a wave
    /// as children of this job, wait in waiting-children until they have all finished, run
    /// again, and so on; the last run builds the per-URL summary from the children's results
    /// and failure reasons. Children have ids `{batchId}-{index}`, so a batch recovered
    /// after a crash adds nothing twice.
    async fn batch_job(&self, mut ctx: JobContext) -> Result<Value, JobError> {
        let job: BatchJob = input::parse(ctx.name(), ctx.data()).map_err(JobError::discard)?;
        let (kind, urls, concurrency) = job.check(self.config()).map_err(JobError::discard)?;
        let wave = usize::try_from(concurrency).unwrap_or(1);
        loop {
            let (done, failed) = self.batch_children(&ctx).await?;
            let finished = done.len() + failed.len();
            ctx.progress(finished as f64 * 100.0 / urls.len() as f64)
                .await?;
            if finished >= urls.len() {
                return Ok(summary(&urls, &done, &failed));
            }
            let from = finished / wave * wave;
            let children = urls
                .iter()
                .enumerate()
                .skip(from)
                .take(wave)
                .map(|(i, u)| BulkJobInput {
                    name: kind.child_job().into(),
                    data: match kind {
                        input::BatchKind::Product => json!({"url": u.as_str(), "accountId": job.account_id, "options": {"useProxy": job.options.use_proxy}}),
                        input::BatchKind::Shop => json!({"shopUrl": u.as_str(), "options": {"useProxy": job.options.use_proxy}}),
                    },
                    priority: None,
                    opts: JobOptionsInput {
                        job_id: Some(format!("{}-{i}", ctx.id())),
                        ..JobOptionsInput::default()
                    },
                })
                .collect();
            self.queues
                .add_children(
                    ctx.queue(),
                    ctx.id(),
                    WorkerType::Scraping.queue(),
                    children,
                )
                .await
                .map_err(|e| JobError::retry(format!("cannot add the batch's child jobs: {e}")))?;
            if ctx.wait_for_children().await? {
                return Err(JobError::WaitingChildren);
            }
        }
    }

    /// The batch's finished children: results and failure reasons by URL index.
    async fn batch_children(
        &self,
        ctx: &JobContext,
    ) -> Result<(HashMap<usize, Value>, HashMap<usize, String>), JobError> {
        let marker = format!(":{}-", ctx.id());
        let index = |key: &str| -> Option<usize> {
            key.rfind(&marker)
                .and_then(|at| key[at + marker.len()..].parse().ok())
        };
        let done = ctx
            .children_values()
            .await?
            .into_iter()
            .filter_map(|(k, v)| index(&k).map(|i| (i, v)))
            .collect();
        let failed = ctx
            .failed_children()
            .await?
            .into_iter()
            .filter_map(|(k, v)| index(&k).map(|i| (i, v)))
            .collect();
        Ok((done, failed))
    }

    /// Enqueues `save-product-data` jobs (chunks of [`SAVE_CHUNK`]) with ids derived from
    /// `id_base`, so a retried attempt does not save twice.
    async fn save_products(
        &self,
        id_base: &str,
        products: Vec<Product>,
    ) -> Result<Vec<String>, JobError> {
        let mut ids = Vec::new();
        for (i, chunk) in products.chunks(SAVE_CHUNK).enumerate() {
            let added = self
                .queues
                .add_job(
                    DATA_QUEUE,
                    "save-product-data",
                    json!({ "productData": chunk }),
                    &JobOptionsInput {
                        job_id: Some(format!("{id_base}-{i}")),
                        ..JobOptionsInput::default()
                    },
                )
                .await
                .map_err(|e| JobError::retry(format!("cannot enqueue save-product-data: {e}")))?;
            ids.push(added.id);
        }
        Ok(ids)
    }
}

fn summary(urls: &[Url], done: &HashMap<usize, Value>, failed: &HashMap<usize, String>) -> Value {
    let results: Vec<Value> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| match (done.get(&i), failed.get(&i)) {
            (Some(result), _) => {
                json!({"url": u.as_str(), "status": "completed", "result": result})
            }
            (None, Some(error)) => json!({"url": u.as_str(), "status": "failed", "error": error}),
            (None, None) => json!({"url": u.as_str(), "status": "unknown"}),
        })
        .collect();
    json!({
        "total": urls.len(),
        "succeeded": done.len(),
        "failed": failed.len(),
        "results": results,
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
