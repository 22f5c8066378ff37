//! Data-processing jobs (data-processing-queue): `save-product-data` into the product
//! store, `update-elasticsearch`, and `validate-data`.
//!
//! - [`search`]: Elasticsearch / OpenSearch `_bulk` requests.
//! - [`validate`]: the validation rules and their checks.

pub mod search;
pub mod validate;

use std::sync::Arc;

use antrian_core::store::{ProductRecord, ProductStore};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use serde::Deserialize;
use serde_json::{json, Value};

/// The jobs this module handles.
pub const JOBS: [&str; 4] = [
    "save-product-data",
    "save-order-data",
    "update-elasticsearch",
    "validate-data",
];

/// Products one save job may carry.
pub const MAX_PRODUCTS: usize = 10_000;
/// Records one validation job may carry.
pub const MAX_RECORDS: usize = 100_000;

/// `save-product-data`: `{ productData: [...] }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveJob {
    /// The products (1 to 10,000); `productId` and `name` are required of each.
    #[schemars(title = "Products", length(min = 1, max = MAX_PRODUCTS))]
    pub product_data: Vec<ProductRecord>,
}

/// `validate-data`: `{ data, validationRules }`.
// Parsed with `D` = `IgnoredAny`: the records are read where they are in the job's data,
// not copied out of it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidateJob<D = Value> {
    /// A record or an array of records.
    #[schemars(title = "Data")]
    pub data: D,
    /// The rules every record is checked against.
    #[schemars(title = "Rules", length(min = 1))]
    pub validation_rules: Vec<validate::Rule>,
}

/// The data-processing handlers.
#[derive(Debug)]
pub struct DataJobs {
    store: ProductStore,
    orders: antrian_core::store::OrderStore,
    search: antrian_core::config::SearchConfig,
}

impl DataJobs {
    /// Handlers over `store` (and its connection's order store), indexing into `search`.
    pub fn new(
        store: ProductStore,
        orders: antrian_core::store::OrderStore,
        search: antrian_core::config::SearchConfig,
    ) -> Self {
        Self {
            store,
            orders,
            search,
        }
    }

    /// Routes this module's jobs.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        for name in JOBS {
            let s = self.clone();
            registry.register(
                WorkerType::DataProcessing,
                name,
                handler_fn(move |ctx| {
                    let s = s.clone();
                    async move {
                        match ctx.name() {
                            "save-product-data" => s.save(ctx).await,
                            "save-order-data" => s.save_orders(ctx).await,
                            "update-elasticsearch" => search::send(&s.search, ctx.data()).await,
                            _ => validate_job(&ctx),
                        }
                    }
                }),
            );
        }
    }

    async fn save(&self, ctx: JobContext) -> Result<Value, JobError> {
        let job = parse_save(ctx.data()).map_err(JobError::discard)?;
        let counts = self.store.save(&job.product_data).await.map_err(|e| {
            if e.code() == antrian_core::ErrorCode::InvalidInput {
                JobError::discard(format!("invalid save-product-data data: {e}"))
            } else {
                JobError::retry(format!("cannot save products: {e}"))
            }
        })?;
        Ok(json!(counts))
    }
}

impl DataJobs {
    async fn save_orders(&self, ctx: JobContext) -> Result<Value, JobError> {
        let job = parse_orders(ctx.data()).map_err(JobError::discard)?;
        let counts = self
            .orders
            .save(&job.account_id, &job.order_data)
            .await
            .map_err(|e| {
                if e.code() == antrian_core::ErrorCode::InvalidInput {
                    JobError::discard(format!("invalid save-order-data data: {e}"))
                } else {
                    JobError::retry(format!("cannot save orders: {e}"))
                }
            })?;
        Ok(json!(counts))
    }
}

/// `save-order-data`: `{ accountId, orderData: [...] }`, what order-scraping enqueues.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrdersJob {
    /// Whose orders.
    #[schemars(title = "Account", length(min = 1))]
    pub account_id: String,
    // `dateRange` (what order-scraping asked for) may come along; it is not stored.
    /// The orders, each with an `orderSn`, `orderId` or `id`.
    #[schemars(title = "Orders", length(min = 1))]
    pub order_data: Vec<Value>,
}

fn parse_orders(data: &Value) -> Result<OrdersJob, String> {
    let job: OrdersJob = crate::scrape::input::parse("save-order-data", data)?;
    crate::scrape::session::check_account_id(&job.account_id)
        .map_err(|e| format!("invalid save-order-data data: {e}"))?;
    if job.order_data.is_empty() {
        return Err("invalid save-order-data data: `orderData` is empty".into());
    }
    for (i, o) in job.order_data.iter().enumerate() {
        if antrian_core::store::orders::order_id(o).is_none() {
            return Err(format!(
                "invalid save-order-data data: orderData[{i}] has no `orderSn`, `orderId` or `id`"
            ));
        }
    }
    Ok(job)
}

fn parse_save(data: &Value) -> Result<SaveJob, String> {
    let job: SaveJob = crate::scrape::input::parse("save-product-data", data)?;
    if job.product_data.is_empty() {
        return Err("invalid save-product-data data: `productData` is empty".into());
    }
    if job.product_data.len() > MAX_PRODUCTS {
        return Err(format!(
            "invalid save-product-data data: {} products is over the limit of {MAX_PRODUCTS} per job",
            job.product_data.len()
        ));
    }
    for (i, p) in job.product_data.iter().enumerate() {
        antrian_core::store::products::check_record(p)
            .map_err(|e| format!("invalid save-product-data data: productData[{i}]: {e}"))?;
    }
    Ok(job)
}

fn parse_validate(data: &Value) -> Result<(&[Value], Vec<validate::Checked>), String> {
    let job: ValidateJob<serde::de::IgnoredAny> =
        crate::scrape::input::parse("validate-data", data)?;
    let records = match data.get("data") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        other => {
            return Err(format!(
            "invalid validate-data data: `data` must be a record or an array of records, not {}",
            other.unwrap_or(&Value::Null)
        ))
        }
    };
    if records.len() > MAX_RECORDS {
        return Err(format!(
            "invalid validate-data data: {} records is over the limit of {MAX_RECORDS}",
            records.len()
        ));
    }
    let rules = validate::compile(job.validation_rules)
        .map_err(|e| format!("invalid validate-data data: {e}"))?;
    Ok((records, rules))
}

fn validate_job(ctx: &JobContext) -> Result<Value, JobError> {
    let (records, rules) = parse_validate(ctx.data()).map_err(JobError::discard)?;
    let mut errors = Vec::new();
    let mut invalid = 0;
    for (i, record) in records.iter().enumerate() {
        let problems = validate::check(i, record, &rules);
        if !problems.is_empty() {
            invalid += 1;
            errors.extend(problems);
        }
    }
    Ok(json!({
        "valid": records.len() - invalid,
        "invalid": invalid,
        "errors": errors,
    }))
}

/// Checks a data-processing job's data without running it.
pub fn check(name: &str, data: &Value) -> Result<(), String> {
    match name {
        "save-product-data" => parse_save(data).map(|_| ()),
        "save-order-data" => parse_orders(data).map(|_| ()),
        "validate-data" => parse_validate(data).map(|_| ()),
        "update-elasticsearch" => search::prepare(data).map(|_| ()),
        _ => Ok(()),
    }
}
