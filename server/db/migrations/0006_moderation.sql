-- Moderation, first part: per-domain policies, published server rules and the moderation log.

CREATE TABLE domain_policies (
  domain          text PRIMARY KEY,          -- lower-case host (a policy covers its subdomains too)
  severity        text NOT NULL CHECK (severity IN ('suspend', 'limit', 'noop')),
  reject_media    boolean NOT NULL DEFAULT false,
  reject_reports  boolean NOT NULL DEFAULT false,
  public_comment  text NOT NULL DEFAULT '',
  private_comment text NOT NULL DEFAULT '',
  obfuscate       boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE server_rules (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  position   integer NOT NULL,
  text       text NOT NULL,
  hint       text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE moderation_log (
  id         bigint PRIMARY KEY DEFAULT kith_id(),
  actor_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,  -- the staff member (NULL: command line)
  action     text NOT NULL,
  target     text NOT NULL,
  reason     text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_time_idx ON moderation_log (id DESC);
