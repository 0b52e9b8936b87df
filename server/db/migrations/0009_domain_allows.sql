-- Allowlist federation: when the instance is in allowlist mode, only these domains (and their
-- subdomains) are federated with.
CREATE TABLE domain_allows (
  domain     text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
