-- Media are served by their random file key; find the upload a key belongs to by index.
CREATE INDEX media_attachments_file_idx ON media_attachments (file_path) WHERE file_path IS NOT NULL;
CREATE INDEX media_attachments_thumb_idx ON media_attachments (thumb_path) WHERE thumb_path IS NOT NULL;
