-- Rapport schema, version 11: self-service. The knowledge base (Help Center categories, sections
-- and Markdown articles with full-text search), the web form's contact attempts and the article
-- suggestions shown to customers and agents (deflection), and known incidents that auto-answer
-- matching new contacts.

CREATE TABLE kb_categories (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  position     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE kb_sections (
  id           INTEGER PRIMARY KEY,
  category_id  INTEGER NOT NULL REFERENCES kb_categories(id),
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  position     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX kb_sections_category ON kb_sections(category_id, position, id);

CREATE TABLE kb_articles (
  -- The small columns come first: search filters every match on draft/visibility/archived_at,
  -- and SQLite reads a row's columns in order, so columns after the bodies would cost a walk
  -- through the bodies' overflow pages for each match (4x slower over 10,000 articles).
  id             INTEGER PRIMARY KEY,
  section_id     INTEGER NOT NULL REFERENCES kb_sections(id),
  draft          INTEGER NOT NULL DEFAULT 1, -- 1: only knowledge-base editors see it
  visibility     TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'internal')),
  archived_at    INTEGER,                    -- DELETE archives (Zendesk's semantics); hidden from all
  author_id      INTEGER REFERENCES users(id),
  label_names    TEXT NOT NULL DEFAULT '[]', -- JSON array of lower-case labels
  position       INTEGER NOT NULL DEFAULT 0,
  promoted       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  edited_at      INTEGER NOT NULL,           -- last change of title or body
  published_at   INTEGER,                    -- first time it left draft
  title          TEXT NOT NULL,
  body_markdown  TEXT NOT NULL,              -- the source an editor writes
  body_html      TEXT NOT NULL               -- rendered by cmark-gfm, raw HTML omitted
);
CREATE INDEX kb_articles_section ON kb_articles(section_id, position, id);

-- Full-text index of every article (drafts too: the visibility filter joins kb_articles), kept
-- by the service in the same transaction as the article. rowid = kb_articles.id. Porter stemming
-- so "refunds" finds "refund"; ranking weights are given at query time (bm25). Prefix indexes
-- of 3 and 4 letters keep search-as-you-type ("pas", "pass") from scanning every term.
CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, body, labels,
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '3 4');

-- One use of the web form: what the customer typed, what was suggested, and how it ended.
-- outcome: pending (suggestions shown, nothing chosen yet), deflected (an article solved it: a
-- contact avoided), submitted (a ticket was created anyway).
CREATE TABLE contact_attempts (
  id             INTEGER PRIMARY KEY,
  token          TEXT NOT NULL UNIQUE,       -- random; the form carries it between steps
  email          TEXT NOT NULL DEFAULT '',
  subject        TEXT NOT NULL DEFAULT '',
  description    TEXT NOT NULL DEFAULT '',
  region         TEXT,
  -- The category the attempt counts under in the deflection report: the first suggested
  -- article's, or the accepted article's once one is accepted.
  article_id     INTEGER REFERENCES kb_articles(id),
  section_id     INTEGER,
  category_id    INTEGER,
  outcome        TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'deflected', 'submitted')),
  ticket_id      INTEGER REFERENCES tickets(id),
  created_at     INTEGER NOT NULL,
  decided_at     INTEGER
);
CREATE INDEX contact_attempts_decided ON contact_attempts(outcome, decided_at);

-- Every suggestion shown, clicked, accepted ("yes, this solved it") or inserted into an agent's
-- reply. surface: web_form (the customer before submitting) or agent (the ticket page).
CREATE TABLE deflections (
  id           INTEGER PRIMARY KEY,
  surface      TEXT NOT NULL CHECK (surface IN ('web_form', 'agent')),
  action       TEXT NOT NULL CHECK (action IN ('shown', 'clicked', 'accepted', 'inserted')),
  article_id   INTEGER NOT NULL REFERENCES kb_articles(id),
  attempt_id   INTEGER REFERENCES contact_attempts(id),
  ticket_id    INTEGER REFERENCES tickets(id),
  user_id      INTEGER,
  list_rank    INTEGER,                      -- 1-based position in the suggestion list
  created_at   INTEGER NOT NULL
);
CREATE INDEX deflections_attempt ON deflections(attempt_id, article_id);
CREATE INDEX deflections_time ON deflections(created_at);

-- A known incident: while open, matching new contacts are answered with public_message, linked
-- here, and solved (with a notification) when the incident is resolved.
CREATE TABLE incidents (
  id                  INTEGER PRIMARY KEY,
  title               TEXT NOT NULL,
  service             TEXT NOT NULL,
  regions             TEXT NOT NULL DEFAULT '[]',   -- JSON array; empty: every region
  keywords            TEXT NOT NULL DEFAULT '[]',   -- JSON array of lower-case words or phrases
  category_tag        TEXT,                         -- a ticket tag that also matches
  public_message      TEXT NOT NULL,
  resolution_message  TEXT NOT NULL DEFAULT '',
  status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  starts_at           INTEGER NOT NULL,
  ends_at             INTEGER,                      -- expected end; matching stops then
  created_by          INTEGER NOT NULL REFERENCES users(id),
  resolved_by         INTEGER REFERENCES users(id),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  resolved_at         INTEGER
);
CREATE INDEX incidents_open ON incidents(status, starts_at) WHERE status = 'open';

CREATE TABLE incident_tickets (
  incident_id   INTEGER NOT NULL REFERENCES incidents(id),
  ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
  requester_id  INTEGER NOT NULL REFERENCES users(id),
  comment_id    INTEGER,                            -- the automatic reply
  linked_at     INTEGER NOT NULL,
  solved_at     INTEGER,
  PRIMARY KEY (incident_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX incident_tickets_ticket ON incident_tickets(ticket_id);
CREATE INDEX incident_tickets_linked ON incident_tickets(linked_at);
