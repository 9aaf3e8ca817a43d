"""The generic cell rate algorithm over several Redis keys, in one Lua script.

Each key stores a theoretical arrival time (TAT). A request of cost c on a
key is allowed when TAT + c*interval - burst*interval <= now. The script
checks every key of a request first and writes only when all allow it, so a
refused request costs nothing anywhere: an attacker whose IP is limited does
not also drain the budget of the account they are guessing at. Running as
one script makes the check-and-set atomic across replicas.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from prescripcare.ratelimit.rate import Rate

# Returns 0 when allowed (and recorded), else the milliseconds to wait.
_SCRIPT = """
local now = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local base = 2 + (i - 1) * 3
  local interval = tonumber(ARGV[base])
  local burst = tonumber(ARGV[base + 1])
  local cost = tonumber(ARGV[base + 2])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval * cost
  local allow_at = new_tat - interval * burst
  if cost > burst then
    wait = math.max(wait, interval * burst)
  elseif allow_at > now then
    wait = math.max(wait, allow_at - now)
  end
  tats[i] = new_tat
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.max(1, tats[i] - now))
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Hit:
    """`cost` requests against the bucket `key` limited by `rate`."""

    key: str
    rate: Rate
    cost: int = 1


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_SCRIPT)

    async def acquire(self, hits: list[Hit], now_ms: int) -> int:
        """0 when every hit fits (and is counted), else milliseconds until
        the request would fit. A cost above a bucket's burst never fits; the
        wait is then that bucket's whole period."""
        merged: dict[str, Hit] = {}
        for hit in hits:
            if hit.cost <= 0:
                continue
            seen = merged.get(hit.key)
            merged[hit.key] = hit if seen is None else Hit(hit.key, hit.rate, seen.cost + hit.cost)
        if not merged:
            return 0
        args: list[int] = [now_ms]
        for hit in merged.values():
            args += [hit.rate.interval_ms, hit.rate.count, hit.cost]
        wait = await self._script(keys=list(merged), args=args)
        return int(wait)
