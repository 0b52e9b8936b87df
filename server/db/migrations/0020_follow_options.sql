-- What a member asked of each follow (Mastodon's follow options): whether the account's boosts
-- enter their home feed, and whether they are notified when it posts.
ALTER TABLE follows ADD COLUMN show_reblogs boolean NOT NULL DEFAULT true;
ALTER TABLE follows ADD COLUMN notify boolean NOT NULL DEFAULT false;
CREATE INDEX follows_notify ON follows (target_account_id) WHERE notify;
-- "status": an account the member asked to hear from has posted.
ALTER TABLE notifications DROP CONSTRAINT notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
  CHECK (type IN ('follow', 'follow_request', 'mention', 'reply', 'favourite', 'reblog', 'update', 'poll', 'move',
                  'status'));
