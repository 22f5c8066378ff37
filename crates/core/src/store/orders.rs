//! Seller orders order-scraping saved, per account: a hash of order id → the order as
//! scraped. Saving the same order twice changes nothing.

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;

use super::products::SaveCounts;

/// One script for a whole batch: each order is compared with what is stored and written
/// only when it differs, so the counts are exact and a retried job changes nothing.
const SAVE: &str = r"
local inserted, updated, unchanged = 0, 0, 0
for i = 1, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if old == ARGV[i + 1] then
    unchanged = unchanged + 1
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    if old then updated = updated + 1 else inserted = inserted + 1 end
  end
end
return {inserted, updated, unchanged}
";

/// The order store.
#[derive(Clone)]
pub struct OrderStore {
    conn: Connection,
    save: redis::Script,
}

impl std::fmt::Debug for OrderStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderStore").finish_non_exhaustive()
    }
}

/// An order's id: its `orderSn`, `orderId` or `id`.
pub fn order_id(order: &serde_json::Value) -> Option<String> {
    ["orderSn", "orderId", "id"]
        .iter()
        .find_map(|k| match order.get(*k) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

impl OrderStore {
    /// The store on `conn`.
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
            save: redis::Script::new(SAVE),
        }
    }

    /// Saves an account's orders; every order needs an id, or none is saved.
    pub async fn save(&self, account: &str, orders: &[serde_json::Value]) -> Result<SaveCounts> {
        let mut inv = self.save.prepare_invoke();
        inv.key(keys::account_orders(account));
        for (i, order) in orders.iter().enumerate() {
            let id = order_id(order).ok_or_else(|| Error::InvalidJob {
                field: format!("orderData[{i}]"),
                rule: "an order needs an `orderSn`, `orderId` or `id`".into(),
            })?;
            inv.arg(id).arg(order.to_string());
        }
        let mut redis = self.conn.redis();
        let (inserted, updated, unchanged): (u64, u64, u64) = inv.invoke_async(&mut redis).await?;
        Ok(SaveCounts {
            inserted,
            updated,
            unchanged,
        })
    }

    /// How many orders an account has stored.
    pub async fn count(&self, account: &str) -> Result<u64> {
        let mut redis = self.conn.redis();
        Ok(redis::cmd("HLEN")
            .arg(keys::account_orders(account))
            .query_async(&mut redis)
            .await?)
    }
}
