-- Other servers' custom emoji, as each post and actor lists them (`tag` entries of type Emoji):
-- [{"shortcode": "blobcat", "url": "https://…/blobcat.png"}]. Pages show each :shortcode: as an
-- image served from our own origin through the media cache; apps get them in `emojis`.
ALTER TABLE statuses ADD COLUMN emojis jsonb NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN emojis jsonb NOT NULL DEFAULT '[]';
