//! The job-type catalogue (DESIGN.md decision 8): every job type this crate's handlers run,
//! with the JSON Schema of its data derived from the very struct the handler parses, and a
//! valid example. The window's add-job and schedule forms are rendered from it, the API
//! serves it (`GET /api/job-types`) and the CLI lists it (`antrian jobs types`); a job name
//! it does not know is refused on the queue whose pool would run it.
//!
//! The schemas come from `schemars` over the handlers' own input structs, so a field added
//! to a struct appears in the form with nothing else to change; choices the handlers check
//! against a list (a batch's `type`, a webhook's method, e-mail templates…) carry that same
//! list as the schema's `enum`.

use antrian_core::queue::{priority_levels, JobDefaults, PriorityLevel};
use antrian_core::worker::WorkerType;
use schemars::{generate::SchemaSettings, JsonSchema};
use serde::Serialize;
use serde_json::{json, Value};
use ts_rs::TS;

use crate::{cleanup, data, notify, scrape};

/// One job type: where it runs, what it is called, what its data looks like.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct JobType {
    /// The queue whose pool runs it.
    pub queue: String,
    /// The job name (what routes a job to its handler).
    pub name: String,
    /// A short label for menus ("Product scraping").
    pub label: String,
    /// One line on what it does.
    pub description: String,
    /// JSON Schema (2020-12, subschemas inlined) of the job's data.
    #[ts(type = "Record<string, unknown>")]
    pub schema: Value,
    /// Valid data, for placeholders and `antrian jobs types`.
    #[ts(type = "Record<string, unknown>")]
    pub example: Value,
    /// A string field a form may take several values of, one per line: one job each
    /// (product URLs pasted as a list).
    pub one_job_per: Option<String>,
}

/// What forms need besides the job types: the option choices and the queue defaults.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Catalogue {
    /// Every job type, by queue then as the seed lists them.
    pub job_types: Vec<JobType>,
    /// The priority levels, most urgent first.
    pub priorities: Vec<PriorityLevel>,
    /// What a job's options fall back on.
    pub defaults: JobDefaults,
}

/// The JSON Schema of `T` with every subschema inlined, so a form can walk it without
/// resolving references.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

struct Entry {
    worker: WorkerType,
    name: &'static str,
    label: &'static str,
    description: &'static str,
    schema: fn() -> Value,
    example: fn() -> Value,
    one_job_per: Option<&'static str>,
}

/// The job types in the order the seed lists them.
const ENTRIES: [Entry; 12] = [
    Entry {
        worker: WorkerType::Scraping,
        name: "product-scraping",
        label: "Product scraping",
        description: "Scrape one product page and save the product.",
        schema: schema_of::<scrape::input::ProductJob>,
        example: || json!({"url": "https://shopee.co.id/product/123/456", "accountId": "user123", "options": {"useProxy": true}}),
        one_job_per: Some("url"),
    },
    Entry {
        worker: WorkerType::Scraping,
        name: "order-scraping",
        label: "Order scraping",
        description: "Read an account's orders in a date range from the seller centre.",
        schema: schema_of::<scrape::input::OrderJob>,
        example: || json!({"accountId": "user123", "dateRange": {"start": "2024-01-01", "end": "2024-01-31"}}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Scraping,
        name: "shop-scraping",
        label: "Shop scraping",
        description: "Walk a shop's listing and save (or enqueue) its products.",
        schema: schema_of::<scrape::input::ShopJob>,
        example: || json!({"shopUrl": "https://shopee.co.id/shop/123456"}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Scraping,
        name: "batch-scraping",
        label: "Batch scraping",
        description: "Scrape many product or shop pages as child jobs of one batch.",
        schema: schema_of::<scrape::input::BatchJob>,
        example: || json!({"urls": ["https://shopee.co.id/product/1/123", "https://shopee.co.id/product/2/456"], "type": "product", "accountId": "user123", "options": {"concurrency": 3}}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::DataProcessing,
        name: "save-product-data",
        label: "Save product data",
        description: "Save products into the product store (Results).",
        schema: schema_of::<data::SaveJob>,
        example: || json!({"productData": [{"productId": "prod123", "name": "Sample Product", "price": 100000, "rating": 4.5}]}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::DataProcessing,
        name: "save-order-data",
        label: "Save order data",
        description: "Save an account's orders (what order scraping hands on).",
        schema: schema_of::<data::OrdersJob>,
        example: || json!({"accountId": "user123", "orderData": [{"orderSn": "240101ABC", "total": 150000}]}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::DataProcessing,
        name: "update-elasticsearch",
        label: "Update Elasticsearch",
        description: "Index, update or delete documents in Elasticsearch / OpenSearch.",
        schema: schema_of::<data::search::SearchJob>,
        example: || json!({"data": [{"productId": "prod123", "name": "Sample Product", "price": 100000}], "indexName": "products", "operation": "index"}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::DataProcessing,
        name: "validate-data",
        label: "Validate data",
        description: "Check records against rules and report what breaks them.",
        schema: schema_of::<data::ValidateJob>,
        example: || json!({"data": [{"productId": "prod123", "price": 100000}], "validationRules": [{"field": "productId", "type": "string", "required": true}, {"field": "price", "type": "number", "required": true, "min": 0}]}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Notification,
        name: "send-email",
        label: "E-mail",
        description: "Send a templated e-mail over SMTP (SMTP_HOST).",
        schema: schema_of::<notify::email::EmailJob>,
        example: || json!({"to": "admin@example.com", "subject": "Scraping Job Completed", "template": "job-completion", "data": {"jobId": "job-123", "status": "completed"}}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Notification,
        name: "send-webhook",
        label: "Webhook",
        description: "POST a signed JSON webhook (WEBHOOK_SECRET).",
        schema: schema_of::<notify::webhook::WebhookJob>,
        example: || json!({"url": "https://api.example.com/webhook", "method": "POST", "data": {"event": "job_completed", "jobId": "job-123"}}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Cleanup,
        name: "cleanup-old-data",
        label: "Clean up old data",
        description: "Remove stored products scraped longer ago than a number of days.",
        schema: schema_of::<cleanup::OldDataJob>,
        example: || json!({"collections": ["products"], "olderThan": 30, "dryRun": false}),
        one_job_per: None,
    },
    Entry {
        worker: WorkerType::Cleanup,
        name: "cleanup-temp-files",
        label: "Clean up temp files",
        description: "Delete old files inside the allowed directories (CLEANUP_ALLOWED_DIRS).",
        schema: schema_of::<cleanup::temp_files::TempFilesJob>,
        example: || json!({"directories": ["./temp", "./uploads/temp"], "olderThan": 1, "extensions": [".tmp", ".temp"]}),
        one_job_per: None,
    },
];

/// Every job type. The schemas are generated once per process (they only change with
/// the code), so serving the catalogue costs a clone.
pub fn job_types() -> Vec<JobType> {
    static TYPES: std::sync::LazyLock<Vec<JobType>> = std::sync::LazyLock::new(generate);
    TYPES.clone()
}

fn generate() -> Vec<JobType> {
    ENTRIES
        .iter()
        .map(|e| JobType {
            queue: e.worker.queue().to_string(),
            name: e.name.to_string(),
            label: e.label.to_string(),
            description: e.description.to_string(),
            schema: (e.schema)(),
            example: (e.example)(),
            one_job_per: e.one_job_per.map(str::to_string),
        })
        .collect()
}

/// Whether the pool of `worker` runs jobs named `name` (checked on every add: no
/// allocation).
pub fn runs(worker: WorkerType, name: &str) -> bool {
    ENTRIES.iter().any(|e| e.worker == worker && e.name == name)
}

/// The job names the pool of `worker` runs, in catalogue order.
pub fn names(worker: WorkerType) -> Vec<&'static str> {
    ENTRIES
        .iter()
        .filter(|e| e.worker == worker)
        .map(|e| e.name)
        .collect()
}

/// The catalogue with the queue defaults forms fall back on.
pub fn catalogue(defaults: &JobDefaults) -> Catalogue {
    Catalogue {
        job_types: job_types(),
        priorities: priority_levels(),
        defaults: defaults.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI's unit tests render forms from this file rather than from a catalogue
    /// written by hand; `make test` fails when the committed copy is stale.
    #[test]
    fn export_catalogue_fixture_for_the_ui() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/api/generated/catalogue.json");
        let text = serde_json::to_string_pretty(&catalogue(&JobDefaults::default()))
            .expect("serialisable");
        std::fs::write(&path, text + "\n").expect("write the fixture");
    }
}
