-- Link preview cards: the first link of a post gets a card, fetched in the background through the
-- egress gate (the queue's rows are the posts waiting for theirs), cached per URL and shared by
-- every post that links it. Only plain text and an image (re-encoded, served by us) are kept.
CREATE TABLE preview_cards (
  id            bigint PRIMARY KEY DEFAULT kith_id(),
  url           text NOT NULL UNIQUE,
  title         text NOT NULL DEFAULT '',
  description   text NOT NULL DEFAULT '',
  provider_name text NOT NULL DEFAULT '',
  image_url     text,   -- the page's image, fetched through the media cache when shown
  fetched_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE card_fetches (
  id              bigint PRIMARY KEY DEFAULT kith_id(),
  status_id       bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  url             text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_error      text
);
CREATE INDEX card_fetches_pending_idx ON card_fetches (next_attempt_at) WHERE state = 'pending';
ALTER TABLE statuses ADD COLUMN card_id bigint REFERENCES preview_cards (id) ON DELETE SET NULL;
