-- Rapport schema, version 15: an integration token per mailbox for the inbound endpoint.
--
-- POST /api/v2/channels/email/inbound was admin-only, so an MTA or a provider posting mail had to
-- hold an admin credential. A mailbox can now have its own token, good for posting mail to that
-- mailbox and nothing else. Only the SHA-256 of its secret part is stored; the token is shown
-- once, when it is made.
ALTER TABLE mailboxes ADD COLUMN inbound_token_sha256 TEXT;
ALTER TABLE mailboxes ADD COLUMN inbound_token_created_at INTEGER;
