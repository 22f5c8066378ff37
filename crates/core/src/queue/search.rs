//! Filtered listings and bulk actions on every matching job.
//!
//! BullMQ keeps no index of job names or data, so a filter reads jobs: one read-only script
//! walks the state's list or sorted set from the requested end, reads each job's `name`
//! and `data`, and keeps the matches' ids for the page, stopping after [`MAX_SCAN`] jobs.
//! The answer says how far it went, so "12 matches" is never mistaken for all of them
//! when a state holds more jobs than were read. Only the page's jobs are then read whole.

use std::sync::LazyLock;

use super::manager::{invalid, QueueManager, MAX_PAGE_SIZE};
use super::model::{BulkAction, BulkOutcome, JobFilter, JobPage, JobState, SearchScope};
use crate::error::{Error, Result};

/// Jobs a filtered listing or bulk action reads at most, per call.
pub const MAX_SCAN: u32 = 10_000;

/// KEYS: the state's lists/sorted sets. ARGV: job key prefix, `1` for oldest first, matches
/// to skip, matches to keep, jobs to read at most, name (or ""), field (or ""), lowercase
/// text (or ""). Returns {kept ids, matches, jobs read, 1 when every job was read}.
const SEARCH: &str = r"
local prefix, oldest = ARGV[1], ARGV[2] == '1'
local skip, keep, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local name, field, text = ARGV[6], ARGV[7], ARGV[8]
local kept, matches, scanned, complete = {}, 0, 0, 1

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
  if text == '' and field == '' then return true end
  local haystack = job[2] or ''
  if field ~= '' then
    haystack = value_at(haystack, field)
    if not haystack then return false end
  end
  return string.find(string.lower(haystack), text, 1, true) ~= nil
end

for _, key in ipairs(KEYS) do
  local is_list = redis.call('TYPE', key)['ok'] == 'list'
  local total = is_list and redis.call('LLEN', key) or redis.call('ZCARD', key)
  local from = 0
  while from < total do
    if scanned >= budget then complete = 0 break end
    local to = math.min(from + 499, total - 1, from + budget - scanned - 1)
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
  if complete == 0 then break end
end
return {kept, matches, scanned, complete}
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
        if let Some(field) = self.field.as_deref().filter(|f| !f.trim().is_empty()) {
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

/// What the search script found.
struct Found {
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
        let mut call = SCRIPT.prepare_invoke();
        for t in state.bullmq_types() {
            call.key(keys.get(t));
        }
        let trimmed = |p: &Option<String>| p.as_deref().map(str::trim).unwrap_or("").to_string();
        call.arg(keys.job_key(""))
            .arg(if oldest_first { "1" } else { "0" })
            .arg(skip)
            .arg(keep)
            .arg(MAX_SCAN)
            .arg(trimmed(&filter.name))
            .arg(trimmed(&filter.field))
            .arg(trimmed(&filter.text).to_lowercase());
        let mut redis = self.conn.redis();
        let (ids, matches, scanned, complete): (Vec<String>, u64, u64, u8) =
            call.invoke_async(&mut redis).await?;
        Ok(Found {
            ids,
            matches,
            scope: SearchScope {
                scanned,
                complete: complete == 1,
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
        if page == 0 {
            return Err(invalid("page", "pages start at 1"));
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            return Err(invalid(
                "pageSize",
                format!("must be from 1 to {MAX_PAGE_SIZE}"),
            ));
        }
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
        let q = self.existing(queue).await?;
        // Read whole only the page's jobs; one that finished meanwhile is left out.
        let jobs = futures_util::future::try_join_all(found.ids.iter().map(|id| q.get_job(id)))
            .await?
            .into_iter()
            .flatten()
            .map(|job| super::jobs::detail_of(&q, &job, state, Vec::new()))
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
