-- Web Push: each notification a member's app subscribed to is queued here and sent, encrypted,
-- to the app's push service by the workers (retried; the subscription is dropped when the push
-- service says it is gone). `standard`: the app asked for RFC 8291 aes128gcm; the others get
-- the older aesgcm encoding, as Mastodon sends it.
ALTER TABLE push_subscriptions ADD COLUMN standard boolean NOT NULL DEFAULT false;
CREATE TABLE push_deliveries (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  token_id        bigint NOT NULL REFERENCES push_subscriptions (token_id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX push_deliveries_pending_idx ON push_deliveries (next_attempt_at) WHERE state = 'pending';
-- The app's own token, sent back inside each push (as Mastodon's `access_token`), so an app signed
-- in to several accounts knows which one a push is for.
ALTER TABLE push_subscriptions ADD COLUMN access_token text NOT NULL DEFAULT '';
