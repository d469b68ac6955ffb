-- Rapport schema, version 7: delivery of outgoing mail (the outbox sender).

-- When a row last entered the queue (created, or an admin's "retry now"): the retry budget's
-- maximum age counts from here. NULL means created_at.
ALTER TABLE outbox ADD COLUMN queued_at INTEGER;
-- When the last attempt to send it ended, whatever the outcome.
ALTER TABLE outbox ADD COLUMN last_attempt_at INTEGER;

-- The admin view lists the outbox by status, newest first.
CREATE INDEX outbox_status_id ON outbox(status, id);

-- Surveys and digests were always automatic mail; say so where the sender looks.
UPDATE outbox SET auto_submitted = 1 WHERE kind IN ('feedback_request', 'digest', 'notification');
