-- Posts a member scheduled: published by the workers at their time (the queue's next_attempt_at
-- is the scheduled time), with what the post will be kept as `params`.
CREATE TABLE scheduled_statuses (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  account_id      bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  params          jsonb NOT NULL,
  status_id       bigint REFERENCES statuses (id) ON DELETE SET NULL,  -- once published
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX scheduled_statuses_pending_idx ON scheduled_statuses (next_attempt_at) WHERE state = 'pending';
CREATE INDEX scheduled_statuses_account_idx ON scheduled_statuses (account_id, next_attempt_at) WHERE state = 'pending';
