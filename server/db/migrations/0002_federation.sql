-- Federation: remote actors' details, the durable inbox and delivery queues, per-host state,
-- interactions (favourites, boosts, edits, notifications, blocks, reports) and tombstones.

ALTER TABLE accounts
  ADD COLUMN key_id        text,
  ADD COLUMN outbox_url    text,
  ADD COLUMN following_url text,
  ADD COLUMN featured_url  text,
  ADD COLUMN avatar_url    text,
  ADD COLUMN header_url    text,
  ADD COLUMN fields        jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN moved_to_uri  text,
  ADD COLUMN also_known_as jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN fetched_at    timestamptz,
  ADD COLUMN raw           jsonb;
CREATE UNIQUE INDEX accounts_key_id_idx ON accounts (key_id) WHERE key_id IS NOT NULL;
CREATE INDEX accounts_domain_idx ON accounts (lower(domain)) WHERE domain IS NOT NULL;

ALTER TABLE statuses
  ADD COLUMN in_reply_to_uri text,      -- the parent's id, kept even before we have the parent
  ADD COLUMN kind            text NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'question', 'article')),
  ADD COLUMN title           text NOT NULL DEFAULT '',
  ADD COLUMN poll            jsonb,     -- Question: {"multiple": bool, "options": [{"title", "votes"}], "closed_at"}
  ADD COLUMN raw             jsonb;
CREATE INDEX statuses_reply_idx ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_reply_uri_idx ON statuses (in_reply_to_uri) WHERE in_reply_to_uri IS NOT NULL;
CREATE INDEX statuses_reblog_idx ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE UNIQUE INDEX statuses_one_reblog_idx ON statuses (account_id, reblog_of_id)
  WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE status_edits (
  id           bigint PRIMARY KEY DEFAULT kith_id(),
  status_id    bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  content      text NOT NULL,
  spoiler_text text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_edits_status_idx ON status_edits (status_id, id);

CREATE TABLE favourites (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_id  bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  uri        text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status_idx ON favourites (status_id);

CREATE TABLE blocks (
  id                bigint PRIMARY KEY DEFAULT kith_id(),
  account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  uri               text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, target_account_id)
);
CREATE INDEX blocks_target_idx ON blocks (target_account_id);

CREATE TABLE notifications (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  account_id      bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,  -- who is notified
  from_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  type            text NOT NULL CHECK (type IN ('follow', 'follow_request', 'mention', 'reply', 'favourite', 'reblog', 'update', 'poll', 'move')),
  status_id       bigint REFERENCES statuses (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  read_at         timestamptz
);
CREATE INDEX notifications_account_idx ON notifications (account_id, id DESC);
CREATE UNIQUE INDEX notifications_once_idx ON notifications (account_id, from_account_id, type, coalesce(status_id, 0));

-- Ids of objects deleted by their origin; a Create that arrives after its Delete is dropped.
CREATE TABLE tombstones (
  uri        text PRIMARY KEY,
  deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reports (
  id                bigint PRIMARY KEY DEFAULT kith_id(),
  account_id        bigint REFERENCES accounts (id) ON DELETE SET NULL,  -- reporter (local), or the remote instance actor
  target_account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  status_ids        bigint[] NOT NULL DEFAULT '{}',
  comment           text NOT NULL DEFAULT '',
  uri               text UNIQUE,
  origin_domain     text,                 -- NULL for reports made here
  created_at        timestamptz NOT NULL DEFAULT now(),
  resolved_at       timestamptz
);

-- Per remote host: delivery health (circuit breaker) and which signature scheme it accepts.
CREATE TABLE hosts (
  host              text PRIMARY KEY,
  unreachable_since timestamptz,
  last_success_at   timestamptz,
  signature_scheme  text CHECK (signature_scheme IN ('rfc9421', 'cavage'))
);

-- Verified inbound activities, stored before they are acted on (202 means "kept").
CREATE TABLE inbox_items (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  activity_id     text NOT NULL UNIQUE,
  actor_uri       text NOT NULL,
  payload         jsonb NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX inbox_items_pending_idx ON inbox_items (next_attempt_at) WHERE state = 'pending';

-- Outgoing activities (stored once) and one delivery per target inbox.
CREATE TABLE outbox_activities (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,  -- who signs it
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  activity_id     bigint NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
  inbox_url       text NOT NULL,
  host            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text,
  UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_pending_idx ON deliveries (next_attempt_at) WHERE state = 'pending';
