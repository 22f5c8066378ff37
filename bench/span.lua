-- The processing span of a finished run, from the jobs' own timestamps: the first job's
-- processedOn and the last job's finishedOn, so process start-up and the time to notice
-- the last job count on no side. Shared by crates/core/benches/worker_throughput.rs and
-- bench/node/worker.mjs.
-- KEYS[1]: the queue's completed sorted set. ARGV[1]: the job key prefix (`bull:queue:`).
-- Returns {first processedOn, last finishedOn, jobs read}.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local first, last = nil, nil
for _, id in ipairs(ids) do
  local t = redis.call('HMGET', ARGV[1] .. id, 'processedOn', 'finishedOn')
  local p, f = tonumber(t[1]), tonumber(t[2])
  if p and (first == nil or p < first) then first = p end
  if f and (last == nil or f > last) then last = f end
end
return {first or 0, last or 0, #ids}
