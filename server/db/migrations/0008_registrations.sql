-- Registration modes: applications waiting for approval, and invite links.
ALTER TABLE users
  ADD COLUMN application_state text NOT NULL DEFAULT 'approved' CHECK (application_state IN ('pending', 'approved', 'rejected')),
  ADD COLUMN signup_reason     text NOT NULL DEFAULT '';
CREATE INDEX users_pending_idx ON users (created_at) WHERE application_state = 'pending';

CREATE TABLE invites (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  code       text NOT NULL UNIQUE,
  created_by bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  max_uses   integer,               -- NULL: unlimited
  uses       integer NOT NULL DEFAULT 0,
  expires_at timestamptz,           -- NULL: never
  created_at timestamptz NOT NULL DEFAULT now()
);
