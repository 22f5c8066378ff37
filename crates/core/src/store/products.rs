//! The product store: what scraping saved, in Redis under Antrian's prefix.
//!
//! Per product a hash (`json` — the record as saved, `at` — its index time, `shop`, `name` in
//! lower case for search) and a capped history of price/stock changes; two sorted sets
//! index products by scraped-at time (all, and per shop). Saving is one Lua script per
//! product, so a record, its history and its index entries never disagree, and saving the
//! same record twice changes nothing.

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;

mod export;
mod record;

pub use export::ExportFormat;
pub use record::{
    check_record, HistoryEntry, PriceText, ProductFilter, ProductPage, ProductQuery, ProductRecord,
    SaveCounts, HISTORY_IN_LISTING,
};

/// Price/stock changes kept per product.
pub const HISTORY_CAP: usize = 50;
/// Products per page at most.
pub const MAX_PAGE: usize = 500;
/// Products per page when the caller does not say (CLI, API and the window alike).
pub const DEFAULT_PAGE: usize = 50;
/// Products read per round trip while exporting or filtering.
const CHUNK: isize = 500;

const SAVE: &str = r"
local old = redis.call('HGET', KEYS[1], 'json')
if old == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'at', ARGV[3], 'shop', ARGV[4], 'name', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1]) end
local entry = ARGV[5] .. '|' .. ARGV[6]
local last = redis.call('LINDEX', KEYS[2], 0)
if not last or string.sub(last, string.find(last, '|', 1, true) + 1) ~= entry then
  redis.call('LPUSH', KEYS[2], ARGV[3] .. '|' .. entry)
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[8]) - 1)
end
if old then return 2 end
return 1
";

/// The store.
#[derive(Clone)]
pub struct ProductStore {
    conn: Connection,
    save: redis::Script,
}

impl std::fmt::Debug for ProductStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductStore").finish_non_exhaustive()
    }
}

fn scraped_ms(p: &ProductRecord, now_ms: i64) -> i64 {
    p.scraped_at
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or(now_ms, |t| t.timestamp_millis())
}

impl ProductStore {
    /// The store on `conn`.
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
            save: redis::Script::new(SAVE),
        }
    }

    /// Saves products; each is checked first, and one bad record saves none.
    pub async fn save(&self, products: &[ProductRecord]) -> Result<SaveCounts> {
        for (i, p) in products.iter().enumerate() {
            check_record(p).map_err(|rule| Error::InvalidJob {
                field: format!("productData[{i}]"),
                rule,
            })?;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let mut pipe = redis::pipe();
        for p in products {
            // Serialising a struct of strings and numbers cannot fail.
            let json = serde_json::to_string(p).unwrap_or_default();
            let shop = p.shop_id.clone().unwrap_or_default();
            pipe.cmd("EVALSHA")
                .arg(self.save.get_hash())
                .arg(4)
                .arg(keys::product(&p.product_id))
                .arg(keys::product_history(&p.product_id))
                .arg(keys::products_by_time())
                .arg(keys::products_by_shop(&shop))
                .arg(&p.product_id)
                .arg(&json)
                .arg(scraped_ms(p, now))
                .arg(&shop)
                .arg(p.price.map(|v| v.to_string()).unwrap_or_default())
                .arg(p.stock.map(|v| v.to_string()).unwrap_or_default())
                .arg(p.name.to_lowercase())
                .arg(HISTORY_CAP);
        }
        // One round trip for the whole batch; each script is atomic for its product. A
        // server that lost its script cache (restart, SCRIPT FLUSH) gets it loaded again.
        let mut redis = self.conn.redis();
        let outcomes: Vec<i64> = match pipe.query_async(&mut redis).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                let _: String = redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(SAVE)
                    .query_async(&mut redis)
                    .await?;
                pipe.query_async(&mut redis).await?
            }
            other => other?,
        };
        let mut counts = SaveCounts::default();
        for outcome in outcomes {
            match outcome {
                0 => counts.unchanged += 1,
                1 => counts.inserted += 1,
                _ => counts.updated += 1,
            }
        }
        Ok(counts)
    }

    /// One product, or not found.
    pub async fn get(&self, id: &str) -> Result<ProductRecord> {
        let mut redis = self.conn.redis();
        let json: Option<String> = redis::cmd("HGET")
            .arg(keys::product(id))
            .arg("json")
            .query_async(&mut redis)
            .await?;
        let json = json.ok_or_else(|| Error::NotFound {
            what: format!("product {id}"),
        })?;
        serde_json::from_str(&json).map_err(|e| {
            Error::Corrupt(format!(
                "product {id} is stored in a form Antrian cannot read: {e}"
            ))
        })
    }

    /// A product's price/stock changes, newest first.
    pub async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let mut redis = self.conn.redis();
        let entries: Vec<String> = redis::cmd("LRANGE")
            .arg(keys::product_history(id))
            .arg(0)
            .arg(-1)
            .query_async(&mut redis)
            .await?;
        Ok(parse_history(&entries))
    }

    /// A page of `ids`: their records and latest changes, in one round trip each.
    async fn page_of(
        &self,
        ids: &[String],
        total: Option<u64>,
        has_more: bool,
    ) -> Result<ProductPage> {
        if ids.is_empty() {
            // An empty pipeline is an error in redis-rs: an empty page reads nothing.
            return Ok(ProductPage {
                products: Vec::new(),
                total,
                has_more,
                history: std::collections::HashMap::new(),
                prices: std::collections::HashMap::new(),
                minor_digits: std::collections::HashMap::new(),
            });
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("LRANGE")
                .arg(keys::product_history(id))
                .arg(0)
                .arg(HISTORY_IN_LISTING - 1);
        }
        let mut redis = self.conn.redis();
        let (products, histories) = tokio::try_join!(self.records(ids), async {
            pipe.query_async::<Vec<Vec<String>>>(&mut redis)
                .await
                .map_err(Error::from)
        })?;
        let prices = products
            .iter()
            .map(|p| (p.product_id.clone(), PriceText::of(p)))
            .collect();
        let minor_digits = products
            .iter()
            .filter_map(|p| p.currency.as_deref())
            .map(|c| (c.to_string(), super::money::minor_digits(c)))
            .collect();
        Ok(ProductPage {
            history: ids
                .iter()
                .cloned()
                .zip(histories.iter().map(|h| parse_history(h)))
                .collect(),
            prices,
            minor_digits,
            products,
            total,
            has_more,
        })
    }

    /// Products newest first, `page` from 1.
    pub async fn list(
        &self,
        filter: &ProductFilter,
        page: usize,
        page_size: usize,
    ) -> Result<ProductPage> {
        if page == 0 || page_size == 0 || page_size > MAX_PAGE {
            return Err(Error::InvalidJob {
                field: "page".into(),
                rule: format!("pages count from 1 and hold 1 to {MAX_PAGE} products"),
            });
        }
        let index = match &filter.shop {
            Some(shop) => keys::products_by_shop(shop),
            None => keys::products_by_time(),
        };
        let mut redis = self.conn.redis();
        // Redis ranges are signed 64-bit; a page past that is not a page.
        let skip = (page - 1)
            .checked_mul(page_size)
            .filter(|skip| i64::try_from(skip + page_size).is_ok())
            .ok_or_else(|| Error::InvalidJob {
                field: "page".into(),
                rule: format!("{page} is beyond any store"),
            })?;
        let Some(needle) = filter.name.as_deref().map(str::to_lowercase) else {
            let total: u64 = redis::cmd("ZCARD")
                .arg(&index)
                .query_async(&mut redis)
                .await?;
            let ids: Vec<String> = redis::cmd("ZREVRANGE")
                .arg(&index)
                .arg(skip)
                .arg(skip + page_size - 1)
                .query_async(&mut redis)
                .await?;
            return self
                .page_of(&ids, Some(total), ((skip + page_size) as u64) < total)
                .await;
        };
        // A name filter walks the index in chunks, matching on the stored lower-case name.
        let mut matched = 0usize;
        let mut out = Vec::new();
        let mut start: isize = 0;
        loop {
            let ids: Vec<String> = redis::cmd("ZREVRANGE")
                .arg(&index)
                .arg(start)
                .arg(start + CHUNK - 1)
                .query_async(&mut redis)
                .await?;
            if ids.is_empty() {
                return self.page_of(&out, Some(matched as u64), false).await;
            }
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.cmd("HGET").arg(keys::product(id)).arg("name");
            }
            let names: Vec<Option<String>> = pipe.query_async(&mut redis).await?;
            for (id, name) in ids.iter().zip(names) {
                if name.is_some_and(|n| n.contains(&needle)) {
                    if matched >= skip && out.len() < page_size {
                        out.push(id.clone());
                    } else if out.len() == page_size {
                        return self.page_of(&out, None, true).await;
                    }
                    matched += 1;
                }
            }
            start += CHUNK;
        }
    }

    async fn records(&self, ids: &[String]) -> Result<Vec<ProductRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut redis = self.conn.redis();
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HGET").arg(keys::product(id)).arg("json");
        }
        let rows: Vec<Option<String>> = pipe.query_async(&mut redis).await?;
        Ok(rows
            .into_iter()
            .flatten()
            .filter_map(|j| serde_json::from_str(&j).ok())
            .collect())
    }

    /// Products indexed before `cutoff_ms`: removed (record, history, index entries) unless
    /// `dry_run`; returns their ids either way.
    pub async fn remove_older_than(&self, cutoff_ms: i64, dry_run: bool) -> Result<Vec<String>> {
        let mut redis = self.conn.redis();
        let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(keys::products_by_time())
            .arg("-inf")
            .arg(format!("({cutoff_ms}"))
            .query_async(&mut redis)
            .await?;
        if dry_run {
            return Ok(ids);
        }
        for chunk in ids.chunks(500) {
            let mut shops = redis::pipe();
            for id in chunk {
                shops.cmd("HGET").arg(keys::product(id)).arg("shop");
            }
            let shop_of: Vec<Option<String>> = shops.query_async(&mut redis).await?;
            let mut pipe = redis::pipe();
            pipe.atomic();
            for (id, shop) in chunk.iter().zip(shop_of) {
                pipe.del(keys::product(id)).ignore();
                pipe.del(keys::product_history(id)).ignore();
                pipe.zrem(keys::products_by_time(), id).ignore();
                if let Some(shop) = shop.filter(|s| !s.is_empty()) {
                    pipe.zrem(keys::products_by_shop(&shop), id).ignore();
                }
            }
            pipe.query_async::<()>(&mut redis).await?;
        }
        Ok(ids)
    }
}

/// Stored history entries (`at|price|stock`), as read.
fn parse_history(entries: &[String]) -> Vec<HistoryEntry> {
    entries
        .iter()
        .filter_map(|e| {
            let mut parts = e.split('|');
            let at = parts.next()?.parse().ok()?;
            let price = parts.next().and_then(|p| p.parse().ok());
            let stock = parts.next().and_then(|s| s.parse().ok());
            Some(HistoryEntry { at, price, stock })
        })
        .collect()
}
