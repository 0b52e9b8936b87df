-- Content rules as data: every saved ruleset is a new version (so any can be restored), each
-- rule's hits are kept as a trail, and activities a rule holds wait in a review queue.
CREATE TABLE content_rulesets (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  rules      jsonb NOT NULL,
  actor_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,
  comment    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE content_rule_hits (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  ruleset_id bigint NOT NULL REFERENCES content_rulesets (id) ON DELETE CASCADE,
  rule_name  text NOT NULL,
  action     text NOT NULL,
  subject    text NOT NULL,      -- the post's or activity's id
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_rule_hits_rule_idx ON content_rule_hits (rule_name, id DESC);

CREATE TABLE held_activities (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  rule_name  text NOT NULL,
  object     jsonb NOT NULL,     -- the post as its origin served it
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decision   text CHECK (decision IN ('approved', 'rejected'))
);
CREATE INDEX held_activities_open_idx ON held_activities (id) WHERE decided_at IS NULL;
