-- Rapport schema, version 6: email intake.
--
-- The per-sender rate limit counts a sender's recent messages in the threading index.
CREATE INDEX mail_messages_from ON mail_messages(from_address, created_at);

-- What intake did with each inbound message: created | commented | followup | bounce | dropped.
-- `flags` is a JSON array: auto_submitted, rate_limited.
ALTER TABLE mail_messages ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_messages ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';

-- The comment the message became, by attachment: comment attachments are listed per comment.
CREATE INDEX mail_messages_comment ON mail_messages(comment_id);
