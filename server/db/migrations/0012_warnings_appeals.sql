-- Staff actions as the affected member sees them (a notice they can appeal once), and limits
-- on single accounts (kept out of public timelines).
ALTER TABLE accounts ADD COLUMN limited_at timestamptz;

CREATE TABLE account_warnings (
  id             bigint PRIMARY KEY DEFAULT kith_id(),
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  staff_id       bigint REFERENCES accounts (id) ON DELETE SET NULL,
  action         text NOT NULL,
  rule_ids       bigint[] NOT NULL DEFAULT '{}',
  reason         text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  appeal_text    text,
  appealed_at    timestamptz,
  appeal_state   text CHECK (appeal_state IN ('approved', 'rejected')),
  decided_at     timestamptz,
  decided_by     bigint REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX account_warnings_account_idx ON account_warnings (account_id, id DESC);
CREATE INDEX account_warnings_appeals_idx ON account_warnings (appealed_at) WHERE appealed_at IS NOT NULL AND decided_at IS NULL;
