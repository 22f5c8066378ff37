//! Every Redis key of Antrian's own data, built in one place (DESIGN.md decision 2). Queue
//! keys are BullMQ's and built by bullmq-official.

/// Antrian's own prefix, separate from BullMQ's.
pub const ROOT: &str = "antrian";

/// Sorted set of node ids scored by their last heartbeat (ms since the epoch).
pub fn nodes() -> String {
    format!("{ROOT}:nodes")
}

/// Hash describing one node.
pub fn node(id: &str) -> String {
    format!("{ROOT}:node:{id}")
}

/// Stream of commands sent to one node.
pub fn node_commands(id: &str) -> String {
    format!("{ROOT}:node:{id}:commands")
}

/// List holding a node's reply to one command (short-lived).
pub fn node_reply(id: &str, command_id: &str) -> String {
    format!("{ROOT}:node:{id}:reply:{command_id}")
}

/// List of the latest scaling decisions, newest first, capped.
pub fn scaling_log() -> String {
    format!("{ROOT}:scaling-log")
}

/// Set of every site scraping has talked to (for the per-site outcome table).
pub fn scrape_domains() -> String {
    format!("{ROOT}:scrape:domains")
}

/// Hash of one site's scrape outcome counters (`success`, `blocked_403`, `status_500`…).
pub fn scrape_domain_stats(host: &str) -> String {
    format!("{ROOT}:scrape:domain:{host}:stats")
}

/// Sorted set of request leases in flight to one site, scored by expiry (ms): the
/// per-site concurrency limit shared by every node.
pub fn scrape_domain_slots(host: &str) -> String {
    format!("{ROOT}:scrape:domain:{host}:slots")
}

/// The earliest time (µs, Redis clock) the next request to one site may start: the
/// per-site rate limit shared by every node.
pub fn scrape_domain_next(host: &str) -> String {
    format!("{ROOT}:scrape:domain:{host}:next")
}

/// Hash holding one marketplace account's session (`cookie`, `token`, `updatedAt`).
/// Secret: never logged or shown.
pub fn account_session(account_id: &str) -> String {
    format!("{ROOT}:account:{account_id}:session")
}

/// Set of account ids with a stored session.
pub fn accounts() -> String {
    format!("{ROOT}:accounts")
}

/// Hash of one stored product (`json`, `at`, `shop`, `name`).
pub fn product(id: &str) -> String {
    format!("{ROOT}:product:{id}")
}

/// List of one product's price/stock changes (`at|price|stock`), newest first, capped.
pub fn product_history(id: &str) -> String {
    format!("{ROOT}:product:{id}:history")
}

/// Sorted set of product ids by scraped-at time (ms).
pub fn products_by_time() -> String {
    format!("{ROOT}:products:by-time")
}

/// Sorted set of one shop's product ids by scraped-at time (ms).
pub fn products_by_shop(shop: &str) -> String {
    format!("{ROOT}:products:by-shop:{shop}")
}

/// Hash of one account's scraped orders, order id → order JSON.
pub fn account_orders(account_id: &str) -> String {
    format!("{ROOT}:account:{account_id}:orders")
}

/// Hash of cron schedule definitions, name → JSON (the registry beside BullMQ's job
/// schedulers; DESIGN.md decision 6).
pub fn schedules() -> String {
    format!("{ROOT}:schedules")
}

/// Sorted set of one schedule's runs (job ids) scored by fire time (ms), newest kept.
pub fn schedule_runs(name: &str) -> String {
    format!("{ROOT}:schedule:{name}:runs")
}

/// Hash of condition-based schedule definitions, name → JSON.
pub fn dynamic_schedules() -> String {
    format!("{ROOT}:dynamic-schedules")
}

/// Hash holding one condition-based schedule's evaluation state (`json`, `fireCount`).
pub fn dynamic_schedule_state(name: &str) -> String {
    format!("{ROOT}:dynamic-schedule:{name}:state")
}

/// The scheduler lease: the id of the one scheduler instance that evaluates conditions.
pub fn scheduler_lease() -> String {
    format!("{ROOT}:scheduler:lease")
}

/// Stream of `schedule:fired` events, for processes other than the one that fired.
pub fn scheduler_events() -> String {
    format!("{ROOT}:scheduler:events")
}
