-- Device cookies (OWASP): a browser that signed in to an account before keeps its own small
-- failure budget, so guesses from elsewhere cannot lock the owner out.
-- One browser token can be trusted for each account it signed in to.
CREATE TABLE login_devices (
  token_hash   bytea NOT NULL,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_hash, account_id)
);
CREATE INDEX login_devices_account_idx ON login_devices (account_id);
ALTER TABLE login_failures ADD COLUMN device_hash bytea;
CREATE INDEX login_failures_device_idx ON login_failures (device_hash, at) WHERE device_hash IS NOT NULL;
