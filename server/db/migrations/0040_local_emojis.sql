-- This instance's own custom emoji, uploaded by admins: `:shortcode:` in members' posts, names and
-- bios becomes the image (and an Emoji tag when federated).
CREATE TABLE custom_emojis (
  id                bigint PRIMARY KEY DEFAULT kith_id(),
  shortcode         text NOT NULL,
  file_path         text NOT NULL,   -- a media storage key
  mime_type         text NOT NULL,
  category          text NOT NULL DEFAULT '',
  visible_in_picker boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_emojis_shortcode_idx ON custom_emojis (lower(shortcode));
