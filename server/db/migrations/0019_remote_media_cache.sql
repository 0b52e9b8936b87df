-- Pictures of other servers (avatars, headers, attachments), fetched through the egress gate,
-- re-encoded as uploads are, and served from our own origin. A failed fetch is remembered so
-- that a dead link is not asked for on every page view.
CREATE TABLE remote_media_cache (
  url         text PRIMARY KEY,
  file_path   text,
  thumb_path  text,
  mime_type   text,
  fetched_at  timestamptz NOT NULL DEFAULT now(),
  failed_at   timestamptz,
  error       text
);
