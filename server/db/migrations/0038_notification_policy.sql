-- Mastodon 4.3's notification policy: each member chooses, for notifications from accounts they do
-- not follow, that do not follow them, that are new (under 30 days), from private mentions, and
-- from limited accounts, to accept them, filter them (into requests, one per sender, to accept or
-- dismiss) or drop them. An accepted request lets that sender through from then on.
CREATE TABLE notification_policies (
  account_id            bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  for_not_following     text NOT NULL DEFAULT 'accept' CHECK (for_not_following IN ('accept', 'filter', 'drop')),
  for_not_followers     text NOT NULL DEFAULT 'accept' CHECK (for_not_followers IN ('accept', 'filter', 'drop')),
  for_new_accounts      text NOT NULL DEFAULT 'accept' CHECK (for_new_accounts IN ('accept', 'filter', 'drop')),
  for_private_mentions  text NOT NULL DEFAULT 'accept' CHECK (for_private_mentions IN ('accept', 'filter', 'drop')),
  for_limited_accounts  text NOT NULL DEFAULT 'filter' CHECK (for_limited_accounts IN ('accept', 'filter', 'drop'))
);
CREATE TABLE notification_permissions (
  account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  from_account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, from_account_id)
);
ALTER TABLE notifications ADD COLUMN filtered boolean NOT NULL DEFAULT false;
CREATE INDEX notifications_filtered_idx ON notifications (account_id, from_account_id) WHERE filtered;
