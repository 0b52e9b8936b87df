-- An inbound activity is a duplicate only when both its id and its body match: Takahē reuses ids
-- for new content (every edit of a post is `<post>#update`, every profile update `<actor>#update`).
ALTER TABLE inbox_items ADD COLUMN digest bytea;
UPDATE inbox_items SET digest = sha256(convert_to(payload::text, 'UTF8'));
ALTER TABLE inbox_items ALTER COLUMN digest SET NOT NULL;
ALTER TABLE inbox_items DROP CONSTRAINT inbox_items_activity_id_key;
ALTER TABLE inbox_items ADD CONSTRAINT inbox_items_activity_id_digest_key UNIQUE (activity_id, digest);
