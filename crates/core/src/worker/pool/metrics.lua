--[[
  BullMQ's per-minute metrics for jobs a pool finished, written for many jobs at once.

  `collect` is BullMQ's `collectMetrics` (moveToFinished) with a count `n` in place of 1:
  applied once for `n` jobs finished in one minute it leaves the metrics hash and list as
  `n` calls of the original would, so BullMQ's `getMetrics` and Node.js dashboards read
  the same numbers. Then one `metrics` entry on the queue's event stream says the counts
  changed (dashboards refresh their chart on it).

  KEYS[1] metrics:completed     KEYS[2] metrics:completed:data
  KEYS[3] metrics:failed        KEYS[4] metrics:failed:data
  KEYS[5] the event stream      KEYS[6] the queue's meta hash
  ARGV[1] maxDataPoints
  ARGV[2..] triples, oldest first: 1 (completed) or 2 (failed), n, timestamp (ms) of the
            first of the n jobs
]]
local rcall = redis.call
local maxDataPoints = tonumber(ARGV[1])

local function collect(metaKey, dataKey, n, timestamp)
  local count = rcall("HINCRBY", metaKey, "count", n) - n
  local prevTS = rcall("HGET", metaKey, "prevTS")
  if not prevTS then
    rcall("HSET", metaKey, "prevTS", timestamp, "prevCount", 0)
    return
  end
  local N = math.min(math.floor(timestamp / 60000) - math.floor(prevTS / 60000), maxDataPoints)
  if N > 0 then
    local delta = count - rcall("HGET", metaKey, "prevCount")
    local points = {delta}
    for i = 2, N do
      points[i] = 0
    end
    -- LPUSH takes at most ~7000 values at once (BullMQ's `batches`).
    for from = 1, N, 7000 do
      rcall("LPUSH", dataKey, unpack(points, from, math.min(from + 6999, N)))
    end
    rcall("LTRIM", dataKey, 0, maxDataPoints - 1)
    rcall("HSET", metaKey, "prevCount", count, "prevTS", timestamp)
  end
end

local totals = {0, 0}
for i = 2, #ARGV, 3 do
  local which = tonumber(ARGV[i])
  local n = tonumber(ARGV[i + 1])
  collect(KEYS[which * 2 - 1], KEYS[which * 2], n, tonumber(ARGV[i + 2]))
  totals[which] = totals[which] + n
end

local maxEvents = tonumber(rcall("HGET", KEYS[6], "opts.maxLenEvents")) or 10000
rcall("XADD", KEYS[5], "MAXLEN", "~", maxEvents, "*", "event", "metrics",
  "completed", totals[1], "failed", totals[2])
