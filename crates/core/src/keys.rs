//! Every Redis key of Antrian's own data, built in one place (DESIGN.md decision 2). Queue
//! keys are BullMQ's and built by bullmq-official.

use std::sync::{PoisonError, RwLock};

/// Antrian's own prefix, separate from BullMQ's: `antrian`, or `antrian{tag}` when the
/// queue prefix carries a hash tag (as it must on a Redis Cluster), so that Antrian's keys
/// share the queues' slot and any script, transaction or pipeline may use them together.
/// Set once per process by [`follow_prefix`]; a process serves one Redis and one prefix.
static ROOT: RwLock<&'static str> = RwLock::new("antrian");

/// Antrian's own prefix now in use (see [`ROOT`]).
pub fn root() -> &'static str {
    *ROOT.read().unwrap_or_else(PoisonError::into_inner)
}

/// Makes Antrian's keys follow the hash tag of the queue `prefix` (none: plain `antrian`).
pub fn follow_prefix(prefix: &str) {
    let wanted = match hash_tag(prefix) {
        // No `:` inside: the shared event stream is read as a BullMQ queue under this
        // prefix, and BullMQ refuses a prefix with one.
        Some(tag) => format!("antrian{{{tag}}}"),
        None => "antrian".to_string(),
    };
    let mut root = ROOT.write().unwrap_or_else(PoisonError::into_inner);
    if *root != wanted {
        // Leaked once per distinct prefix a process uses: a few bytes, and `root()` can
        // hand out a plain `&str` to the key builders.
        *root = Box::leak(wanted.into_boxed_str());
    }
}

/// The hash tag Redis Cluster hashes `key` by: the text between the first `{` and the
/// next `}`, when that is not empty.
pub fn hash_tag(key: &str) -> Option<&str> {
    let open = key.find('{')?;
    let rest = &key[open + 1..];
    let close = rest.find('}')?;
    (close > 0).then(|| &rest[..close])
}

/// Sorted set of node ids scored by their last heartbeat (ms since the epoch).
pub fn nodes() -> String {
    format!("{}:nodes", root())
}

/// Hash describing one node.
pub fn node(id: &str) -> String {
    format!("{}:node:{id}", root())
}

/// Stream of commands sent to one node.
pub fn node_commands(id: &str) -> String {
    format!("{}:node:{id}:commands", root())
}

/// List holding a node's reply to one command (short-lived).
pub fn node_reply(id: &str, command_id: &str) -> String {
    format!("{}:node:{id}:reply:{command_id}", root())
}

/// List of the latest scaling decisions, newest first, capped.
pub fn scaling_log() -> String {
    format!("{}:scaling-log", root())
}

/// List of the audit log's entries (who did what to which jobs), newest first, capped.
pub fn audit_log() -> String {
    format!("{}:audit", root())
}

/// Set of every site scraping has talked to (for the per-site outcome table).
pub fn scrape_domains() -> String {
    format!("{}:scrape:domains", root())
}

/// Hash of one site's scrape outcome counters (`success`, `blocked_403`, `status_500`…).
pub fn scrape_domain_stats(host: &str) -> String {
    format!("{}:scrape:domain:{host}:stats", root())
}

/// Sorted set of request leases in flight to one site, scored by expiry (ms): the
/// per-site concurrency limit shared by every node.
pub fn scrape_domain_slots(host: &str) -> String {
    format!("{}:scrape:domain:{host}:slots", root())
}

/// The earliest time (µs, Redis clock) the next request to one site may start: the
/// per-site rate limit shared by every node.
pub fn scrape_domain_next(host: &str) -> String {
    format!("{}:scrape:domain:{host}:next", root())
}

/// Hash holding one marketplace account's session (`cookie`, `token`, `updatedAt`).
/// Secret: never logged or shown.
pub fn account_session(account_id: &str) -> String {
    format!("{}:account:{account_id}:session", root())
}

/// Set of account ids with a stored session.
pub fn accounts() -> String {
    format!("{}:accounts", root())
}

/// Hash of one stored product (`json`, `at`, `shop`, `name`).
pub fn product(id: &str) -> String {
    format!("{}:product:{id}", root())
}

/// List of one product's price/stock changes (`at|price|stock`), newest first, capped.
pub fn product_history(id: &str) -> String {
    format!("{}:product:{id}:history", root())
}

/// Sorted set of product ids by scraped-at time (ms).
pub fn products_by_time() -> String {
    format!("{}:products:by-time", root())
}

/// Sorted set of one shop's product ids by scraped-at time (ms).
pub fn products_by_shop(shop: &str) -> String {
    format!("{}:products:by-shop:{shop}", root())
}

/// Hash of one account's scraped orders, order id → order JSON.
pub fn account_orders(account_id: &str) -> String {
    format!("{}:account:{account_id}:orders", root())
}

/// Hash of cron schedule definitions, name → JSON (the registry beside BullMQ's job
/// schedulers; DESIGN.md decision 6).
pub fn schedules() -> String {
    format!("{}:schedules", root())
}

/// Sorted set of one schedule's runs (job ids) scored by fire time (ms), newest kept.
pub fn schedule_runs(name: &str) -> String {
    format!("{}:schedule:{name}:runs", root())
}

/// Hash of condition-based schedule definitions, name → JSON.
pub fn dynamic_schedules() -> String {
    format!("{}:dynamic-schedules", root())
}

/// Hash holding one condition-based schedule's evaluation state (`json`, `fireCount`).
pub fn dynamic_schedule_state(name: &str) -> String {
    format!("{}:dynamic-schedule:{name}:state", root())
}

/// The scheduler lease: the id of the one scheduler instance that evaluates conditions.
pub fn scheduler_lease() -> String {
    format!("{}:scheduler:lease", root())
}

/// Stream of `schedule:fired` events, for processes other than the one that fired.
pub fn scheduler_events() -> String {
    format!("{}:scheduler:events", root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_tag_is_what_redis_cluster_hashes() {
        assert_eq!(hash_tag("{bull}"), Some("bull"));
        assert_eq!(hash_tag("{shop}bull"), Some("shop"));
        assert_eq!(hash_tag("a{b}{c}"), Some("b"));
        assert_eq!(hash_tag("{}bull"), None);
        assert_eq!(hash_tag("bull"), None);
        assert_eq!(hash_tag("{bull"), None);
    }
}
