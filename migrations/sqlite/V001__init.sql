-- Rapport schema, version 1: accounts, helpdesk objects, the event log.
-- Times are seconds since the epoch (UTC). JSON-valued columns hold JSON text.

CREATE TABLE sites (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL DEFAULT 'in_house',   -- in_house | vendor
  vendor      TEXT,
  time_zone   TEXT NOT NULL DEFAULT 'UTC',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE organizations (
  id                  INTEGER PRIMARY KEY,
  name                TEXT NOT NULL,
  name_key            TEXT NOT NULL UNIQUE,        -- lower(name), for case-insensitive uniqueness
  external_id         TEXT,
  domain_names        TEXT NOT NULL DEFAULT '[]',
  details             TEXT NOT NULL DEFAULT '',
  notes               TEXT NOT NULL DEFAULT '',
  group_id            INTEGER,
  shared_tickets      INTEGER NOT NULL DEFAULT 0,
  shared_comments     INTEGER NOT NULL DEFAULT 0,
  tags                TEXT NOT NULL DEFAULT '[]',
  organization_fields TEXT NOT NULL DEFAULT '{}',
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE TABLE groups (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  is_default   INTEGER NOT NULL DEFAULT 0,
  is_public    INTEGER NOT NULL DEFAULT 1,
  deleted      INTEGER NOT NULL DEFAULT 0,
  site_id      INTEGER REFERENCES sites(id),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE users (
  id                 INTEGER PRIMARY KEY,
  name               TEXT NOT NULL,
  email              TEXT,
  email_key          TEXT UNIQUE,                  -- lower(email)
  role               TEXT NOT NULL DEFAULT 'end-user',  -- end-user | agent | admin
  rapport_role       TEXT,                         -- team_lead | qa | manager (agents only)
  verified           INTEGER NOT NULL DEFAULT 0,
  active             INTEGER NOT NULL DEFAULT 1,
  suspended          INTEGER NOT NULL DEFAULT 0,
  organization_id    INTEGER REFERENCES organizations(id),
  external_id        TEXT,
  tags               TEXT NOT NULL DEFAULT '[]',
  phone              TEXT,
  time_zone          TEXT NOT NULL DEFAULT 'UTC',
  locale             TEXT NOT NULL DEFAULT 'en-US',
  alias              TEXT NOT NULL DEFAULT '',
  details            TEXT NOT NULL DEFAULT '',
  notes              TEXT NOT NULL DEFAULT '',
  signature          TEXT NOT NULL DEFAULT '',
  default_group_id   INTEGER,
  ticket_restriction TEXT,                         -- NULL: all tickets; 'groups'; 'assigned'; 'requested'
  site_id            INTEGER REFERENCES sites(id),
  team_lead_id       INTEGER,
  hired_at           INTEGER,
  skills             TEXT NOT NULL DEFAULT '[]',   -- [{"name":"spanish","level":2}]
  photo_url          TEXT,
  bio                TEXT NOT NULL DEFAULT '',
  user_fields        TEXT NOT NULL DEFAULT '{}',
  password_hash      TEXT,
  last_login_at      INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX users_org ON users(organization_id);
CREATE INDEX users_external ON users(external_id);
CREATE INDEX users_role ON users(role, id);

CREATE TABLE group_memberships (
  user_id   INTEGER NOT NULL REFERENCES users(id),
  group_id  INTEGER NOT NULL REFERENCES groups(id),
  PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX group_memberships_group ON group_memberships(group_id, user_id);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id),
  token_hash   TEXT NOT NULL UNIQUE,               -- sha256 hex; the token itself is shown once
  description  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);

CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY,                    -- sha256 hex of the cookie value
  user_id     INTEGER NOT NULL REFERENCES users(id),
  csrf_token  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);

CREATE TABLE tickets (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id       TEXT,
  channel           TEXT NOT NULL DEFAULT 'api',
  via_source        TEXT NOT NULL DEFAULT '{"from":{},"to":{},"rel":null}',
  type              TEXT,
  subject           TEXT NOT NULL DEFAULT '',
  description       TEXT NOT NULL DEFAULT '',
  priority          TEXT,
  status            TEXT NOT NULL DEFAULT 'new',
  status_rank       INTEGER NOT NULL DEFAULT 0,    -- new 0 < open 1 < pending 2 < hold 3 < solved 4 < closed 5
  recipient         TEXT,
  requester_id      INTEGER NOT NULL REFERENCES users(id),
  submitter_id      INTEGER NOT NULL REFERENCES users(id),
  assignee_id       INTEGER REFERENCES users(id),
  organization_id   INTEGER REFERENCES organizations(id),
  group_id          INTEGER REFERENCES groups(id),
  is_public         INTEGER NOT NULL DEFAULT 1,
  due_at            INTEGER,
  tags              TEXT NOT NULL DEFAULT '[]',
  custom_fields     TEXT NOT NULL DEFAULT '[]',
  collaborator_ids  TEXT NOT NULL DEFAULT '[]',
  follower_ids      TEXT NOT NULL DEFAULT '[]',
  email_cc_ids      TEXT NOT NULL DEFAULT '[]',
  problem_id        INTEGER,
  followup_source_id INTEGER,
  satisfaction_id   INTEGER,
  satisfaction_score TEXT,
  satisfaction_comment TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  solved_at         INTEGER,
  deleted_at        INTEGER,
  generated_ts      INTEGER NOT NULL                 -- epoch seconds of the last change, for exports
);
CREATE INDEX tickets_requester ON tickets(requester_id, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, id);
CREATE INDEX tickets_group ON tickets(group_id, id);
CREATE INDEX tickets_org ON tickets(organization_id, id);
CREATE INDEX tickets_status ON tickets(status_rank, id);
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_created ON tickets(created_at, id);
CREATE INDEX tickets_generated ON tickets(generated_ts, id);
CREATE INDEX tickets_external ON tickets(external_id) WHERE external_id IS NOT NULL;

CREATE TABLE ticket_tags (
  tag        TEXT NOT NULL,
  ticket_id  INTEGER NOT NULL,
  PRIMARY KEY (tag, ticket_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id);

-- Free-text search over a ticket's subject and all its comments.
CREATE VIRTUAL TABLE ticket_fts USING fts5(subject, body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE audits (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
  author_id   INTEGER,
  via         TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  events      TEXT NOT NULL DEFAULT '[]',
  created_at  INTEGER NOT NULL
);
CREATE INDEX audits_ticket ON audits(ticket_id, id);

CREATE TABLE comments (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
  audit_id    INTEGER NOT NULL,
  author_id   INTEGER NOT NULL,
  body        TEXT NOT NULL,
  html_body   TEXT NOT NULL,
  public      INTEGER NOT NULL,
  via         TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);
CREATE INDEX comments_ticket ON comments(ticket_id, id);

-- Every state change, appended in the same transaction as the change. Analytics, exports,
-- the live stream and webhooks read from here.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  kind        TEXT NOT NULL,      -- ticket.created, ticket.updated, user.created, auth.impersonated ...
  entity      TEXT NOT NULL,      -- ticket, user, organization, group, site, token
  entity_id   INTEGER,
  actor_id    INTEGER,
  token_id    INTEGER,
  data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_entity ON events(entity, entity_id, id);
CREATE INDEX events_kind ON events(kind, id);

CREATE TABLE job_statuses (
  id          TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL,
  job_type    TEXT NOT NULL,
  status      TEXT NOT NULL,      -- queued | working | completed | failed | killed
  total       INTEGER NOT NULL,
  progress    INTEGER NOT NULL DEFAULT 0,
  message     TEXT,
  results     TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
