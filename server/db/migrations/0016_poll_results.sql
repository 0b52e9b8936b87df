-- Poll results live in statuses.poll (each option's votes, voters_count); the workers send a local
-- poll's results when they change (poll_results_dirty) and handle each poll's end once (poll_ended_at).
ALTER TABLE statuses ADD COLUMN poll_results_dirty boolean NOT NULL DEFAULT false,
                     ADD COLUMN poll_ended_at timestamptz;
CREATE INDEX statuses_poll_pending_idx ON statuses (id)
  WHERE poll IS NOT NULL AND (poll_results_dirty OR poll_ended_at IS NULL);
-- Local polls counted their votes only in poll_votes until now.
UPDATE statuses s SET poll = s.poll
    || jsonb_build_object('options', (SELECT jsonb_agg(o.v || jsonb_build_object('votes',
          (SELECT count(*) FROM poll_votes pv WHERE pv.status_id = s.id AND pv.choice = o.i - 1)) ORDER BY o.i)
          FROM jsonb_array_elements(s.poll -> 'options') WITH ORDINALITY o(v, i)),
       'voters_count', (SELECT count(DISTINCT account_id) FROM poll_votes pv WHERE pv.status_id = s.id))
  WHERE s.poll IS NOT NULL AND s.uri IS NULL AND jsonb_typeof(s.poll -> 'options') = 'array'
    AND jsonb_array_length(s.poll -> 'options') > 0;
-- Polls that ended before this release are not announced again.
UPDATE statuses SET poll_ended_at = now()
  WHERE poll IS NOT NULL AND (poll ->> 'closed_at')::timestamptz <= now();
