-- Version 2: event consumers, the outbox, and agent-level customer feedback.

-- Background consumers read the event log from a remembered position. The position moves in the
-- same transaction as the consumer's effects, so a crash neither skips nor repeats an event.
CREATE TABLE event_cursors (
  name     TEXT PRIMARY KEY,
  last_id  INTEGER NOT NULL
);

-- Every outgoing message, written in the same transaction as the change that caused it; the
-- email channel sends it. Until then it waits here, visible through the API.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,            -- feedback_request, agent_reply, digest, notification
  to_address       TEXT NOT NULL,
  subject          TEXT NOT NULL,
  body_text        TEXT NOT NULL,
  body_html        TEXT NOT NULL DEFAULT '',
  headers          TEXT NOT NULL DEFAULT '{}',
  ticket_id        INTEGER,
  related_id       INTEGER,                   -- e.g. the feedback request
  status           TEXT NOT NULL DEFAULT 'queued',  -- queued | sent | failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox(ticket_id);

CREATE TABLE feedback_requests (
  id                INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL DEFAULT 'survey',   -- survey | follow_up (after service recovery)
  ticket_id         INTEGER NOT NULL REFERENCES tickets(id),
  agent_id          INTEGER NOT NULL REFERENCES users(id),
  requester_id      INTEGER NOT NULL REFERENCES users(id),
  group_id          INTEGER,
  site_id           INTEGER,
  channel           TEXT NOT NULL,
  status            TEXT NOT NULL,     -- pending | suppressed | delivered | opened | answered | expired
  suppressed_reason TEXT,
  nonce             TEXT NOT NULL,     -- random part of the signed link
  recovery_case_id  INTEGER,
  created_at        INTEGER NOT NULL,
  delivered_at      INTEGER,
  opened_at         INTEGER,
  answered_at       INTEGER,
  expires_at        INTEGER NOT NULL
);
CREATE INDEX feedback_requests_ticket ON feedback_requests(ticket_id, id);
CREATE INDEX feedback_requests_requester ON feedback_requests(requester_id, created_at);
CREATE INDEX feedback_requests_agent ON feedback_requests(agent_id, created_at);

CREATE TABLE ratings (
  id            INTEGER PRIMARY KEY,
  request_id    INTEGER UNIQUE REFERENCES feedback_requests(id),  -- NULL for Zendesk API ratings
  kind          TEXT NOT NULL DEFAULT 'survey',
  ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
  agent_id      INTEGER,
  group_id      INTEGER,
  site_id       INTEGER,
  requester_id  INTEGER NOT NULL,
  stars         INTEGER,               -- 1..5 (NULL only for Zendesk good/bad without stars)
  score         TEXT NOT NULL,         -- good | bad | neither (Zendesk mapping: 4-5 good, 1-2 bad)
  resolved      INTEGER,               -- 1 yes, 0 no, NULL unanswered
  nps           INTEGER,               -- 0..10
  comment       TEXT NOT NULL DEFAULT '',
  tags          TEXT NOT NULL DEFAULT '[]',
  answers       TEXT NOT NULL DEFAULT '{}',
  reason_code   INTEGER,
  public_kudos  INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX ratings_agent ON ratings(agent_id, created_at);
CREATE INDEX ratings_group ON ratings(group_id, created_at);
CREATE INDEX ratings_ticket ON ratings(ticket_id);
CREATE INDEX ratings_created ON ratings(created_at, id);
