-- Lists, filters and conversations for the client API: indexes for the owner lookups, and each
-- member's read/removed marks on direct conversations (a conversation is its thread's root status).

CREATE INDEX lists_account_idx ON lists (account_id);
CREATE INDEX list_accounts_account_idx ON list_accounts (account_id);
CREATE INDEX filters_account_idx ON filters (account_id);
CREATE INDEX filter_keywords_filter_idx ON filter_keywords (filter_id);

CREATE TABLE conversation_marks (
  account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  root_id      bigint NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
  read_up_to   bigint,  -- the newest status id the member has marked read
  hidden_up_to bigint,  -- removed from the member's list until a newer status arrives
  PRIMARY KEY (account_id, root_id)
);
