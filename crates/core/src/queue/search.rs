//! Filtered listings and bulk actions on every matching job.
//!
//! BullMQ keeps no index of job names or data, so a filter reads jobs: a read-only script
//! walks the state's list or sorted set from the requested end, reads each job's `name`
//! and `data`, and keeps the matches' ids for the page; it is called for 1,000 jobs at a
//! time (a few milliseconds in which Redis serves nobody else) until [`MAX_SCAN`] jobs.
//! The answer says how far it went, so "12 matches" is never mistaken for all of them
//! when a state holds more jobs than were read. Only the page's jobs are then read whole.

use std::sync::{Arc, LazyLock};

use bullmq::Queue;

use super::jobs::check_paging;
use super::manager::{invalid, QueueManager};
use super::model::{BulkAction, BulkOutcome, JobFilter, JobPage, JobState, SearchScope};
use crate::error::{Error, Result};

/// Jobs a filtered listing or bulk action reads at most, per call.
pub const MAX_SCAN: u32 = 10_000;

/// Jobs one script call reads at most: Redis runs nothing else while a script runs, so a
/// search is many short calls (each a few milliseconds), not one long one.
const CHUNK: u32 = 1000;

/// KEYS: the state's lists/sorted sets. ARGV: job key prefix, `1` for oldest first, matches
/// still to skip, matches still to keep, jobs to read in this call, name (or ""), field (or
/// ""), lowercase text (or ""), the key to start in (1-based) and the offset in it.
/// Returns {kept ids, matches, jobs read, key to go on in, offset in it}; the key is 0
/// when every key was read to its end.
const SEARCH: &str = r"
local prefix, oldest = ARGV[1], ARGV[2] == '1'
local skip, keep, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local name, field, text = ARGV[6], ARGV[7], ARGV[8]
local k, from = tonumber(ARGV[9]), tonumber(ARGV[10])
local kept, matches, scanned = {}, 0, 0

local function value_at(data, path)
  local ok, v = pcall(cjson.decode, data)
  if not ok then return nil end
  for part in string.gmatch(path, '[^%.]+') do
    if type(v) ~= 'table' then return nil end
    v = v[part]
  end
  if v == nil or v == cjson.null then return nil end
  if type(v) == 'table' then return cjson.encode(v) end
  return tostring(v)
end

local function matches_filter(id)
  local job = redis.call('HMGET', prefix .. id, 'name', 'data')
  if not job[1] then return false end
  if name ~= '' and job[1] ~= name then return false end
  local raw = job[2] or ''
  -- A field's value is in the raw JSON too: most jobs are ruled out without decoding.
  if text ~= '' and not string.find(string.lower(raw), text, 1, true) then return false end
  if field == '' then return true end
  local value = value_at(raw, field)
  return value ~= nil and string.find(string.lower(value), text, 1, true) ~= nil
end

while k <= #KEYS and scanned < budget do
  local key = KEYS[k]
  local is_list = redis.call('TYPE', key)['ok'] == 'list'
  local total = is_list and redis.call('LLEN', key) or redis.call('ZCARD', key)
  if from >= total then
    k, from = k + 1, 0
  else
    local to = math.min(from + budget - scanned - 1, total - 1)
    local ids
    -- Lists are pushed at the head (newest first); sorted sets are scored by time.
    if is_list then
      if oldest then
        ids = redis.call('LRANGE', key, -1 - to, -1 - from)
        local n = #ids
        for i = 1, math.floor(n / 2) do ids[i], ids[n - i + 1] = ids[n - i + 1], ids[i] end
      else
        ids = redis.call('LRANGE', key, from, to)
      end
    elseif oldest then
      ids = redis.call('ZRANGE', key, from, to)
    else
      ids = redis.call('ZREVRANGE', key, from, to)
    end
    for _, id in ipairs(ids) do
      scanned = scanned + 1
      if matches_filter(id) then
        matches = matches + 1
        if matches > skip and #kept < keep then kept[#kept + 1] = id end
      end
    end
    from = to + 1
  end
end
-- Keys read to their end are done, so a search that ends with the budget is complete.
while k <= #KEYS do
  local key = KEYS[k]
  local total = redis.call('TYPE', key)['ok'] == 'list' and redis.call('LLEN', key) or redis.call('ZCARD', key)
  if from < total then break end
  k, from = k + 1, 0
end
if k > #KEYS then k = 0 end
return {kept, matches, scanned, k, from}
";

impl JobFilter {
    /// True when it keeps every job.
    pub fn is_empty(&self) -> bool {
        [&self.name, &self.field, &self.text]
            .iter()
            .all(|p| p.as_deref().is_none_or(|s| s.trim().is_empty()))
    }

    fn check(&self) -> Result<()> {
        for (what, part, max) in [
            ("name", &self.name, 100),
            ("field", &self.field, 100),
            ("text", &self.text, 500),
        ] {
            if part.as_deref().is_some_and(|s| s.chars().count() > max) {
                return Err(invalid(what, format!("at most {max} characters")));
            }
        }
        if let Some(field) = self
            .field
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            let ok = field.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            });
            if !ok {
                return Err(invalid(
                    "field",
                    format!(
                        "`{field}` is not a data field: names like url, shopId or options.useProxy"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What the search script found, and the queue it searched.
struct Found {
    queue: Arc<Queue>,
    ids: Vec<String>,
    matches: u64,
    scope: SearchScope,
}

impl QueueManager {
    async fn search(
        &self,
        queue: &str,
        state: JobState,
        filter: &JobFilter,
        oldest_first: bool,
        skip: u64,
        keep: u64,
    ) -> Result<Found> {
        filter.check()?;
        let q = self.existing(queue).await?;
        static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(SEARCH));
        let keys = q.keys();
        let set_keys: Vec<String> = state.bullmq_types().iter().map(|t| keys.get(t)).collect();
        let prefix = keys.job_key("");
        let part = |p: &Option<String>| p.as_deref().map(str::trim).unwrap_or("").to_string();
        let (name, field, text) = (
            part(&filter.name),
            part(&filter.field),
            // ASCII only, as Lua's `string.lower` folds the data it is compared with.
            part(&filter.text).to_ascii_lowercase(),
        );
        let mut redis = self.conn.redis();
        let (mut ids, mut matches, mut scanned) = (Vec::new(), 0u64, 0u64);
        let (mut skip, mut keep) = (skip, keep);
        let (mut key, mut offset) = (1u64, 0u64);
        // Chunk after chunk until every key was read or the budget is spent.
        while key != 0 && scanned < u64::from(MAX_SCAN) {
            let budget = u64::from(CHUNK).min(u64::from(MAX_SCAN) - scanned);
            let mut call = SCRIPT.prepare_invoke();
            for k in &set_keys {
                call.key(k);
            }
            call.arg(&prefix)
                .arg(if oldest_first { "1" } else { "0" })
                .arg(skip)
                .arg(keep)
                .arg(budget)
                .arg(&name)
                .arg(&field)
                .arg(&text)
                .arg(key)
                .arg(offset);
            let (kept, found, read, next_key, next_offset): (Vec<String>, u64, u64, u64, u64) =
                call.invoke_async(&mut redis).await?;
            skip = skip.saturating_sub(found);
            keep = keep.saturating_sub(kept.len() as u64);
            ids.extend(kept);
            matches += found;
            scanned += read;
            (key, offset) = (next_key, next_offset);
        }
        Ok(Found {
            queue: q,
            ids,
            matches,
            scope: SearchScope {
                scanned,
                complete: key == 0,
            },
        })
    }

    /// A page of the jobs in one state that `filter` keeps, searching at most
    /// [`MAX_SCAN`] jobs from the newest (or oldest) one; a filter that keeps everything is
    /// a plain [`Self::list_jobs`].
    pub async fn find_jobs(
        &self,
        queue: &str,
        state: JobState,
        filter: &JobFilter,
        page: u32,
        page_size: u32,
        oldest_first: bool,
    ) -> Result<JobPage> {
        if filter.is_empty() {
            return self
                .list_jobs(queue, state, page, page_size, oldest_first)
                .await;
        }
        check_paging(page, page_size)?;
        let skip = u64::from(page - 1) * u64::from(page_size);
        let found = self
            .search(
                queue,
                state,
                filter,
                oldest_first,
                skip,
                u64::from(page_size),
            )
            .await?;
        let q = &found.queue;
        // Read whole only the page's jobs; one that finished meanwhile is left out.
        let jobs = futures_util::future::try_join_all(found.ids.iter().map(|id| q.get_job(id)))
            .await?
            .into_iter()
            .flatten()
            .map(|job| super::jobs::detail_of(q, &job, state, Vec::new()))
            .collect();
        Ok(JobPage {
            queue: queue.to_string(),
            state,
            page,
            page_size,
            total: found.matches,
            jobs,
            search: Some(found.scope),
        })
    }

    /// Retries, removes or promotes every job in `state` that `filter` keeps (within
    /// [`MAX_SCAN`] jobs read). Jobs that moved on meanwhile or that a worker holds are
    /// skipped and named; the rest are done one by one with the same checks as a single
    /// job's action.
    pub async fn act_on_matching(
        &self,
        queue: &str,
        state: JobState,
        filter: &JobFilter,
        action: BulkAction,
    ) -> Result<BulkOutcome> {
        let found = self
            .search(queue, state, filter, false, 0, u64::from(MAX_SCAN))
            .await?;
        use futures_util::StreamExt;
        // A few at a time over the multiplexed connection: each is a few round trips.
        let outcomes: Vec<Result<()>> = futures_util::stream::iter(found.ids)
            .map(|id: String| async move {
                match action {
                    BulkAction::Retry => self.retry_job(queue, &id).await,
                    BulkAction::Remove => self.remove_job(queue, &id).await,
                    BulkAction::Promote => self.promote_job(queue, &id).await,
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut done = 0;
        let mut skipped = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok(()) => done += 1,
                Err(e @ (Error::Conflict(_) | Error::NotFound { .. })) => {
                    skipped.push(e.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(BulkOutcome {
            matched: found.matches,
            done,
            skipped,
            search: found.scope,
        })
    }
}
