-- Staff hear of what needs them: a new report ('admin.report', with the report), a new sign-up or
-- application ('admin.sign_up', from the new account) and a new appeal ('admin.appeal', with the
-- appealed warning). Each report and each appeal is its own notification, so the uniqueness that
-- keeps one notification per sender, type and post now also counts the report and the warning.
ALTER TABLE notifications ADD COLUMN report_id bigint REFERENCES reports (id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN warning_id bigint REFERENCES account_warnings (id) ON DELETE CASCADE;
DROP INDEX notifications_once_idx;
CREATE UNIQUE INDEX notifications_once_idx ON notifications
  (account_id, from_account_id, type, coalesce(status_id, 0), coalesce(report_id, 0), coalesce(warning_id, 0));
ALTER TABLE notifications DROP CONSTRAINT notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
  CHECK (type IN ('follow', 'follow_request', 'mention', 'reply', 'favourite', 'reblog', 'update', 'poll', 'move',
                  'status', 'admin.report', 'admin.sign_up', 'admin.appeal'));
