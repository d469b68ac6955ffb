-- Version 14: contact triage by category into outcome routes (docs/triage.md).
-- src/rapport/triage/ keeps these tables.

-- Admin-defined categories, evaluated in position order on every new ticket; the first whose
-- conditions match decides the outcome.
CREATE TABLE triage_categories (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  position    INTEGER NOT NULL,
  active      INTEGER NOT NULL DEFAULT 1,
  conditions  TEXT NOT NULL,             -- {"all":[{field,operator,value}],"any":[...]}, triggers' vocabulary
  outcome     TEXT NOT NULL,             -- self_service | skilled_team | sensitive
  settings    TEXT NOT NULL DEFAULT '{}',-- the outcome's parameters (group_id, priority, tags, article_id, ...)
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- One row per triaged ticket: which category took it and what it did. The name is copied so the
-- report still names a category after it is deleted.
CREATE TABLE triage_contacts (
  ticket_id      INTEGER PRIMARY KEY REFERENCES tickets(id),
  category_id    INTEGER NOT NULL,
  category_name  TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  auto_answered  INTEGER NOT NULL DEFAULT 0,  -- self_service: an answer was sent
  private        INTEGER NOT NULL DEFAULT 0,  -- sensitive: replies wait for a verified requester
  verified_at    INTEGER,                     -- when the requester proved their address
  created_at     INTEGER NOT NULL
);
CREATE INDEX triage_contacts_created ON triage_contacts(created_at);

-- Signed single-use links that verify a sensitive ticket's requester.
CREATE TABLE triage_verifications (
  id           INTEGER PRIMARY KEY,
  ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
  requester_id INTEGER NOT NULL REFERENCES users(id),
  nonce        TEXT NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER,
  created_at   INTEGER NOT NULL
);
CREATE INDEX triage_verifications_ticket ON triage_verifications(ticket_id);
