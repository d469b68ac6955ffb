-- Rapport schema, version 5: the email channel.
--
-- Shared by intake (IMAP, `rapport mail receive`, the inbound endpoint) and delivery (the outbox
-- sender over SMTP). Message-IDs are stored without angle brackets, lower-cased, so threading is a
-- lookup of one index.

-- A support address and, when mail is fetched from a server, how to reach it.
CREATE TABLE mailboxes (
  id             INTEGER PRIMARY KEY,
  address        TEXT NOT NULL,                 -- support@example.com
  address_key    TEXT NOT NULL UNIQUE,          -- lower(address)
  name           TEXT NOT NULL DEFAULT '',      -- display name on outgoing mail
  group_id       INTEGER REFERENCES groups(id), -- the group that owns new tickets
  imap_host      TEXT,                          -- NULL: mail arrives by pipe or HTTP only
  imap_port      INTEGER,
  imap_tls       TEXT NOT NULL DEFAULT 'imaps', -- imaps | starttls | none
  imap_user      TEXT,
  imap_secret    TEXT,                          -- the password, sealed with the server key
  imap_folder    TEXT NOT NULL DEFAULT 'INBOX',
  uidvalidity    INTEGER,                       -- as last seen on the server
  last_uid       INTEGER NOT NULL DEFAULT 0,    -- highest UID committed as a ticket or comment
  enabled        INTEGER NOT NULL DEFAULT 1,
  last_poll_at   INTEGER,
  last_error     TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

-- Every message we received or sent, by Message-ID: the threading index. An inbound message is
-- recorded in the same transaction as its ticket or comment, so a redelivered message is found
-- here and not stored twice.
CREATE TABLE mail_messages (
  id           INTEGER PRIMARY KEY,
  message_id   TEXT NOT NULL,                  -- without <>, lower-cased
  direction    TEXT NOT NULL,                  -- in | out
  ticket_id    INTEGER REFERENCES tickets(id),
  comment_id   INTEGER,
  outbox_id    INTEGER,                        -- out: the outbox row that carries it
  mailbox_id   INTEGER,
  from_address TEXT NOT NULL DEFAULT '',
  subject      TEXT NOT NULL DEFAULT '',
  raw_sha256   TEXT,                           -- in: the original message in `blobs`
  created_at   INTEGER NOT NULL,
  UNIQUE(message_id, direction)
);
CREATE INDEX mail_messages_ticket ON mail_messages(ticket_id, id);

-- Content-addressed bytes (raw messages, attachments): each distinct content is stored once.
CREATE TABLE blobs (
  sha256      TEXT PRIMARY KEY,               -- lower-case hex
  size        INTEGER NOT NULL,
  data        BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);

-- Files attached to a comment (inbound) or to an outgoing message, and uploads waiting for a
-- comment (Zendesk's POST /api/v2/uploads token).
CREATE TABLE attachments (
  id            INTEGER PRIMARY KEY,
  blob_sha256   TEXT NOT NULL REFERENCES blobs(sha256),
  file_name     TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  size          INTEGER NOT NULL,
  inline        INTEGER NOT NULL DEFAULT 0,
  content_id    TEXT,                         -- for cid: references in HTML
  ticket_id     INTEGER,
  comment_id    INTEGER,
  outbox_id     INTEGER,
  upload_token  TEXT UNIQUE,                  -- set while an upload waits for its comment
  uploader_id   INTEGER,
  created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_comment ON attachments(comment_id);
CREATE INDEX attachments_outbox ON attachments(outbox_id);
CREATE INDEX attachments_blob ON attachments(blob_sha256);

-- Addresses that bounced (a DSN named them): nothing automatic is sent to them until cleared.
CREATE TABLE mail_bounces (
  address_key   TEXT PRIMARY KEY,             -- lower(address)
  reason        TEXT NOT NULL,
  status_code   TEXT,                         -- DSN status, e.g. 5.1.1
  bounced_at    INTEGER NOT NULL,
  count         INTEGER NOT NULL DEFAULT 1
);

-- The outbox learns what a real message needs.
ALTER TABLE outbox ADD COLUMN from_address TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN message_id TEXT;          -- without <>; set when queued
ALTER TABLE outbox ADD COLUMN in_reply_to TEXT;         -- without <>
ALTER TABLE outbox ADD COLUMN refs TEXT NOT NULL DEFAULT '';   -- References, space-separated, without <>
ALTER TABLE outbox ADD COLUMN cc TEXT NOT NULL DEFAULT '[]';   -- JSON array of addresses
ALTER TABLE outbox ADD COLUMN auto_submitted INTEGER NOT NULL DEFAULT 0;  -- 1: Auto-Submitted: auto-replied / auto-generated
ALTER TABLE outbox ADD COLUMN comment_id INTEGER;
ALTER TABLE outbox ADD COLUMN permanent INTEGER NOT NULL DEFAULT 0;       -- 1: failed for good (5xx)
ALTER TABLE outbox ADD COLUMN smtp_response TEXT;       -- the server's last answer
