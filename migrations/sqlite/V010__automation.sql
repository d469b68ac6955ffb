-- Rapport schema, version 10: business rules (triggers, automations, macros) and webhooks.

-- Triggers, automations and macros share one shape (Zendesk's): conditions {all, any} and
-- actions [{field, value}], ordered by position within their kind.
CREATE TABLE business_rules (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,                 -- trigger | automation | macro
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  active       INTEGER NOT NULL DEFAULT 1,
  position     INTEGER NOT NULL,
  conditions   TEXT NOT NULL DEFAULT '{"all":[],"any":[]}',
  actions      TEXT NOT NULL DEFAULT '[]',
  restriction  TEXT,                          -- macros: {"type":"User","id":N} | {"type":"Group","ids":[...]}; NULL: everyone
  usage_count  INTEGER NOT NULL DEFAULT 0,    -- times fired (triggers, automations) or applied (macros)
  created_by   INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX business_rules_order ON business_rules(kind, active, position, id);

-- When a ticket entered its current status, was assigned, and last heard from its requester and
-- its assignee: the clocks of automations' time conditions. Kept by triggers on tickets and
-- comments, in the same transaction as each change.
CREATE TABLE ticket_times (
  ticket_id             INTEGER PRIMARY KEY REFERENCES tickets(id),
  status_at             INTEGER NOT NULL,
  assigned_at           INTEGER,
  requester_updated_at  INTEGER,
  assignee_updated_at   INTEGER
);
INSERT INTO ticket_times(ticket_id, status_at, assigned_at)
  SELECT id, updated_at, CASE WHEN assignee_id IS NULL THEN NULL ELSE updated_at END FROM tickets;

CREATE TRIGGER ticket_times_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_times(ticket_id, status_at, assigned_at)
    VALUES (new.id, new.updated_at, CASE WHEN new.assignee_id IS NULL THEN NULL ELSE new.updated_at END);
END;
CREATE TRIGGER ticket_times_status AFTER UPDATE OF status ON tickets WHEN new.status IS NOT old.status BEGIN
  UPDATE ticket_times SET status_at = new.updated_at WHERE ticket_id = new.id;
END;
CREATE TRIGGER ticket_times_assignee AFTER UPDATE OF assignee_id ON tickets WHEN new.assignee_id IS NOT old.assignee_id BEGIN
  UPDATE ticket_times SET assigned_at = CASE WHEN new.assignee_id IS NULL THEN NULL ELSE new.updated_at END
    WHERE ticket_id = new.id;
END;
CREATE TRIGGER ticket_times_comment AFTER INSERT ON comments BEGIN
  UPDATE ticket_times SET
    requester_updated_at = CASE WHEN new.author_id = (SELECT requester_id FROM tickets WHERE id = new.ticket_id)
                                THEN new.created_at ELSE requester_updated_at END,
    assignee_updated_at  = CASE WHEN new.author_id = (SELECT assignee_id FROM tickets WHERE id = new.ticket_id)
                                THEN new.created_at ELSE assignee_updated_at END
    WHERE ticket_id = new.ticket_id;
END;

-- An automation acts on a ticket at most once per state: (automation, ticket, the ticket's
-- updated_at when it acted). A rerun within the same hour finds the row and does nothing.
CREATE TABLE automation_runs (
  rule_id     INTEGER NOT NULL,
  ticket_id   INTEGER NOT NULL,
  state       INTEGER NOT NULL,
  ran_at      INTEGER NOT NULL,
  PRIMARY KEY (rule_id, ticket_id, state)
);

-- Webhooks that triggers and automations call.
CREATE TABLE webhooks (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  endpoint        TEXT NOT NULL,
  http_method     TEXT NOT NULL DEFAULT 'POST',    -- GET | POST | PUT | PATCH | DELETE
  request_format  TEXT NOT NULL DEFAULT 'json',    -- json (the only format Rapport sends)
  status          TEXT NOT NULL DEFAULT 'active',  -- active | inactive
  signing_secret  TEXT NOT NULL,
  custom_headers  TEXT NOT NULL DEFAULT '{}',
  created_by      INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- Each call a rule made: queued in the rule's transaction (so none is lost), then delivered by the
-- webhook sender, with every attempt logged.
CREATE TABLE webhook_invocations (
  id               INTEGER PRIMARY KEY,
  webhook_id       INTEGER NOT NULL REFERENCES webhooks(id),
  ticket_id        INTEGER,
  rule_kind        TEXT NOT NULL,                -- trigger | automation
  rule_id          INTEGER NOT NULL,
  rule_title       TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'queued',  -- queued | success | failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL,               -- epoch milliseconds
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  completed_at     INTEGER
);
CREATE INDEX webhook_invocations_due ON webhook_invocations(status, next_attempt_ms);
CREATE INDEX webhook_invocations_webhook ON webhook_invocations(webhook_id, id);

CREATE TABLE webhook_attempts (
  id             INTEGER PRIMARY KEY,
  invocation_id  INTEGER NOT NULL REFERENCES webhook_invocations(id),
  attempt        INTEGER NOT NULL,
  status_code    INTEGER,                           -- NULL: no HTTP answer (timeout, refused)
  error          TEXT,
  duration_ms    INTEGER NOT NULL,
  at             INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_invocation ON webhook_attempts(invocation_id, attempt);
