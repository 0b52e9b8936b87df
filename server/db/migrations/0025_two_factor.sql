-- Two-factor sign-in with TOTP (RFC 6238): the member's secret (set up, then enabled once a code
-- from their app checks out), the last time step used (a code works once), and the hashes of
-- their single-use recovery codes.
ALTER TABLE users ADD COLUMN otp_secret text;
ALTER TABLE users ADD COLUMN otp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN otp_last_step bigint;
ALTER TABLE users ADD COLUMN otp_recovery_hashes text[] NOT NULL DEFAULT '{}';
