//! `shop-scraping`: every product of a shop, page by page, saved in chunks as it goes.

use antrian_core::config::ShopMode;
use antrian_core::queue::{BulkJobInput, JobOptionsInput};
use antrian_core::worker::{JobContext, JobError, WorkerType};
use serde_json::{json, Value};

use super::{now, Scraper};
use crate::scrape::input::{self, ShopJob};
use crate::scrape::marketplace::{self, ApiError, Target};

impl Scraper {
    pub(super) async fn shop_job(&self, mut ctx: JobContext) -> Result<Value, JobError> {
        let job: ShopJob = input::parse(ctx.name(), ctx.data()).map_err(JobError::discard)?;
        let url = input::page_url("shopUrl", &job.shop_url)
            .map_err(|e| JobError::discard(format!("invalid shop-scraping data: {e}")))?;
        if !marketplace::handles(self.config(), &url) {
            return Err(JobError::discard(format!(
                "shop-scraping reads marketplace shops ({}, SCRAPE_MARKETPLACE_HOSTS); {} is not one",
                self.config().marketplace_hosts.join(", "),
                url.host_str().unwrap_or_default()
            )));
        }
        let target = match marketplace::parse_target(&url) {
            Some(t @ (Target::ShopId(_) | Target::ShopName(_))) => t,
            Some(Target::Product { .. }) => {
                return Err(JobError::discard(format!(
                    "{url} is a product page; add a product-scraping job for it"
                )))
            }
            None => {
                return Err(JobError::discard(format!(
                    "{url} is not a shop URL: expected /shop/{{shopId}} or /{{shopName}}"
                )))
            }
        };
        let cancel = ctx.cancel_token();
        let opts = self.fetch_options(job.options.use_proxy);
        let detail_url =
            marketplace::shop_url(self.config(), &url, &target).map_err(JobError::discard)?;
        let detail = self
            .fetcher
            .get_json(&detail_url, &opts, &cancel)
            .await
            .map_err(|f| match f.status() {
                Some(404 | 410) => JobError::discard(format!("the shop {url} does not exist")),
                _ => f.error,
            })?;
        let shop = marketplace::api_data(&detail, &format!("shop {url}")).map_err(|e| match e {
            ApiError::Missing(why) => JobError::discard(why),
            ApiError::Other(why) => JobError::retry(why),
        })?;
        let shop_id = match shop.get("shopid") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(JobError::retry(format!(
                    "shop {url}: the answer has no shopid"
                )))
            }
        };
        let shop_name = shop
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let limit = self.config().shop_page_limit;
        let mut items: Vec<Value> = Vec::new();
        let mut pages = 0;
        let mut complete = false;
        let now = now();
        for page in 0..limit {
            let offset = page * marketplace::LISTING_PAGE_SIZE;
            let listing_url = marketplace::listing_url(self.config(), &url, &shop_id, offset)
                .map_err(JobError::discard)?;
            let listing = self.fetcher.get_json(&listing_url, &opts, &cancel).await?;
            pages += 1;
            let batch: Vec<Value> = listing
                .get("items")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|i| i.get("item_basic").unwrap_or(i).clone())
                        .collect()
                })
                .unwrap_or_default();
            let no_more = listing
                .get("nomore")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let total = listing.get("total_count").and_then(Value::as_u64);
            let got = batch.len();
            items.extend(batch);
            ctx.progress(f64::from(page + 1) / f64::from(limit) * 80.0)
                .await?;
            if no_more || got == 0 || total.is_some_and(|t| items.len() as u64 >= t) {
                complete = true;
                break;
            }
        }
        let mode = self.config().shop_mode;
        let count = items.len();
        let jobs = match mode {
            ShopMode::Save => {
                let products = items
                    .iter()
                    .filter_map(|i| {
                        marketplace::item_product(
                            self.config(),
                            &url,
                            i,
                            "marketplace-listing",
                            &now,
                        )
                        .ok()
                    })
                    .collect();
                self.save_products(&format!("save-{}", ctx.id()), products)
                    .await?
            }
            ShopMode::Enqueue => {
                let children = items
                    .iter()
                    .filter_map(|i| {
                        let item = i.get("itemid")?;
                        let page = marketplace::product_page(&url, &shop_id, &item.to_string());
                        Some(BulkJobInput {
                            name: "product-scraping".into(),
                            data: json!({"url": page, "options": {"useProxy": job.options.use_proxy}}),
                            priority: None,
                            opts: JobOptionsInput {
                                job_id: Some(format!("{}-{item}", ctx.id())),
                                ..JobOptionsInput::default()
                            },
                        })
                    })
                    .collect::<Vec<_>>();
                if children.is_empty() {
                    Vec::new()
                } else {
                    self.queues
                        .add_bulk_jobs(WorkerType::Scraping.queue(), children)
                        .await
                        .map_err(|e| JobError::retry(format!("cannot enqueue product jobs: {e}")))?
                        .into_iter()
                        .map(|a| a.id)
                        .collect()
                }
            }
        };
        ctx.progress(100.0).await?;
        Ok(json!({
            "shopId": shop_id,
            "name": shop_name,
            "pages": pages,
            "products": count,
            "complete": complete,
            "mode": match mode { ShopMode::Save => "saved listing data", ShopMode::Enqueue => "enqueued product-scraping jobs" },
            "jobs": jobs,
        }))
    }
}
