-- Imports of a member's data (Mastodon's CSV formats): a job per uploaded file and a row per line,
-- worked through by the workers (accounts resolved through the egress gate, retried with backoff
-- like deliveries), each row ending done or failed with its reason.
CREATE TABLE import_jobs (
  id          bigint PRIMARY KEY DEFAULT kith_id(),
  account_id  bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('follows', 'lists', 'blocks', 'mutes', 'domain_blocks', 'bookmarks')),
  mode        text NOT NULL CHECK (mode IN ('merge', 'overwrite')),
  filename    text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_jobs_account_idx ON import_jobs (account_id, id DESC);

CREATE TABLE import_rows (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  job_id          bigint NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
  line            integer NOT NULL,
  data            jsonb NOT NULL,  -- the row's fields, as parsed
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX import_rows_pending_idx ON import_rows (next_attempt_at) WHERE state = 'pending';
CREATE INDEX import_rows_job_idx ON import_rows (job_id, line);
