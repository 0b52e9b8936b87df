-- E-mail to members, sent by the workers from this durable queue (a failed send is retried with
-- backoff, as deliveries are), and the single-use links mails carry: confirming an address and
-- resetting a password. Only a token's hash is stored; the link holds the token itself.
CREATE TABLE mail_outbox (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  to_address      text NOT NULL,
  subject         text NOT NULL,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE state = 'pending';

CREATE TABLE user_tokens (
  token_hash  text PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES users (account_id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password')),
  email       text,  -- the address a confirmation is for (a new one, when the member changes it)
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX user_tokens_account_idx ON user_tokens (account_id, purpose);

-- Members who joined before confirmation existed count as confirmed.
ALTER TABLE users ADD COLUMN email_confirmed_at timestamptz;
UPDATE users SET email_confirmed_at = created_at WHERE email IS NOT NULL;
