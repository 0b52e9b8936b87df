-- Federation health for admins (/admin/federation): each peer's last failure and why, and its
-- software from NodeInfo; when each queue item was done, for the last hour's throughput.
ALTER TABLE hosts ADD COLUMN last_failure_at timestamptz,
                  ADD COLUMN last_error text,
                  ADD COLUMN software text,
                  ADD COLUMN software_version text,
                  ADD COLUMN nodeinfo_checked_at timestamptz;
ALTER TABLE inbox_items ADD COLUMN done_at timestamptz;
ALTER TABLE deliveries ADD COLUMN done_at timestamptz;
ALTER TABLE mail_outbox ADD COLUMN done_at timestamptz;
ALTER TABLE import_rows ADD COLUMN done_at timestamptz;
ALTER TABLE archives ADD COLUMN done_at timestamptz;
ALTER TABLE push_deliveries ADD COLUMN done_at timestamptz;
ALTER TABLE scheduled_statuses ADD COLUMN done_at timestamptz;
ALTER TABLE card_fetches ADD COLUMN done_at timestamptz;
CREATE INDEX inbox_items_done_idx ON inbox_items (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX deliveries_done_idx ON deliveries (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX deliveries_pending_host_idx ON deliveries (host) WHERE state = 'pending';
