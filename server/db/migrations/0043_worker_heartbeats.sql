-- Which process holds a queue item, and whether that process is alive: each worker process writes
-- its heartbeat every few seconds, and the items claimed by one silent for long are claimed again
-- at once instead of after their lease (a `kill -9` in the middle of a fan-out loses nothing and
-- delays it by seconds, not minutes).
CREATE TABLE worker_processes (
  id         text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE inbox_items ADD COLUMN locked_by text;
ALTER TABLE deliveries ADD COLUMN locked_by text;
ALTER TABLE mail_outbox ADD COLUMN locked_by text;
ALTER TABLE import_rows ADD COLUMN locked_by text;
ALTER TABLE archives ADD COLUMN locked_by text;
ALTER TABLE push_deliveries ADD COLUMN locked_by text;
ALTER TABLE scheduled_statuses ADD COLUMN locked_by text;
ALTER TABLE card_fetches ADD COLUMN locked_by text;
