-- Reports as members make them (category, broken rules, forwarding) and as moderators handle them.
ALTER TABLE reports
  ADD COLUMN category       text NOT NULL DEFAULT 'other' CHECK (category IN ('spam', 'legal', 'violation', 'other')),
  ADD COLUMN rule_ids       bigint[] NOT NULL DEFAULT '{}',
  ADD COLUMN forwarded      boolean NOT NULL DEFAULT false,
  ADD COLUMN resolved_by    bigint REFERENCES accounts (id) ON DELETE SET NULL,
  ADD COLUMN resolution     text;
CREATE INDEX reports_open_idx ON reports (id DESC) WHERE resolved_at IS NULL;

CREATE TABLE report_notes (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  report_id  bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
  content    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
