-- A member who deleted their account (or whom an admin deleted): the row stays, emptied, so the
-- username is never given to someone else and the actor answers 410 Gone with a Tombstone.
ALTER TABLE accounts ADD COLUMN deleted_at timestamptz;
