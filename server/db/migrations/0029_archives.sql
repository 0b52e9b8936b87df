-- A member's full archive (a ZIP like Mastodon's), built by the workers from this queue and kept
-- under DATA_DIR/archives/ for 7 days for the member to download.
CREATE TABLE archives (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  account_id      bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  file_name       text,          -- set once built: an unguessable name under DATA_DIR/archives/
  size_bytes      bigint,
  finished_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX archives_pending_idx ON archives (next_attempt_at) WHERE state = 'pending';
CREATE INDEX archives_account_idx ON archives (account_id, id DESC);
