-- When an unreachable host is tried again (its circuit breaker's end): deliveries queued for it while
-- the breaker is open wait until then instead of each timing out against it in turn.
ALTER TABLE hosts ADD COLUMN retry_at timestamptz;
