//! `order-scraping`: a seller's orders through their signed-in session, page by page.

use antrian_core::queue::JobOptionsInput;
use antrian_core::worker::{JobContext, JobError};
use serde_json::{json, Value};
use url::Url;

use super::{Scraper, DATA_QUEUE};
use crate::scrape::fetch::FetchOptions;
use crate::scrape::input::{self, OrderJob};
use crate::scrape::session;

/// Orders per `save-order-data` job.
const ORDER_CHUNK: usize = 500;
/// Seller order pages read at most per job.
const MAX_ORDER_PAGES: u32 = 200;

impl Scraper {
    pub(super) async fn order_job(&self, mut ctx: JobContext) -> Result<Value, JobError> {
        let job: OrderJob = input::parse(ctx.name(), ctx.data()).map_err(JobError::discard)?;
        let (start, end) = job.check().map_err(JobError::discard)?;
        let account = job.account_id.trim();
        session::check_account_id(account)
            .map_err(|e| JobError::discard(format!("invalid order-scraping data: {e}")))?;
        let credential = session::load(&self.redis, account)
            .await
            .map_err(|e| JobError::retry(format!("cannot read the account's session: {e}")))?
            .ok_or_else(|| {
                JobError::discard(format!(
                    "no stored session for account {account}: add one with `antrian accounts set-session {account} --cookie '<Cookie header of a logged-in seller-centre page>'` (or --token), then retry this job"
                ))
            })?;
        let cancel = ctx.cancel_token();
        let opts = FetchOptions {
            use_proxy: false,
            headers: vec![credential.header()],
        };
        let mut orders: Vec<Value> = Vec::new();
        let mut pages = 0;
        for page in 1..=MAX_ORDER_PAGES {
            let mut url = Url::parse(&self.config().seller_orders_url)
                .map_err(|e| JobError::discard(format!("SCRAPE_SELLER_ORDERS_URL: {e}")))?;
            url.query_pairs_mut()
                .append_pair("from", &start.to_string())
                .append_pair("to", &end.to_string())
                .append_pair("page", &page.to_string());
            let body = self.fetcher.get_json(&url, &opts, &cancel).await.map_err(|f| {
                match f.status() {
                    Some(s @ (401 | 403)) => JobError::discard(format!(
                        "the seller centre rejected the session of account {account} (HTTP {s}); store a fresh one with `antrian accounts set-session {account} --cookie '…'`"
                    )),
                    _ => f.error,
                }
            })?;
            pages += 1;
            let data = body.get("data").unwrap_or(&body);
            let batch = data
                .get("orders")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let more = data.get("more").and_then(Value::as_bool).unwrap_or(false);
            let got = batch.len();
            orders.extend(batch);
            ctx.progress(f64::from(page.min(50)) * 1.6).await?;
            if !more || got == 0 {
                break;
            }
        }
        let mut jobs = Vec::new();
        for (i, chunk) in orders.chunks(ORDER_CHUNK).enumerate() {
            let added = self
                .queues
                .add_job(
                    DATA_QUEUE,
                    "save-order-data",
                    json!({"accountId": account, "dateRange": {"start": start.to_string(), "end": end.to_string()}, "orderData": chunk}),
                    &JobOptionsInput {
                        job_id: Some(format!("orders-{}-{i}", ctx.id())),
                        ..JobOptionsInput::default()
                    },
                )
                .await
                .map_err(|e| JobError::retry(format!("cannot enqueue save-order-data: {e}")))?;
            jobs.push(added.id);
        }
        ctx.progress(100.0).await?;
        Ok(json!({"accountId": account, "orders": orders.len(), "pages": pages, "saveJobs": jobs}))
    }
}
