-- Version 3: service recovery, reactions to ratings, rewards, and the daily rating rollup that
-- leaderboards read.

-- A bad rating (at or below the threshold, or "not resolved") opens one case, in the same
-- transaction as the rating, so no bad experience is left without one.
CREATE TABLE recovery_cases (
  id                    INTEGER PRIMARY KEY,
  ticket_id             INTEGER NOT NULL REFERENCES tickets(id),
  rating_id             INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
  agent_id              INTEGER,            -- the agent the rating was about
  requester_id          INTEGER NOT NULL,
  team_group_id         INTEGER,            -- the rated ticket's group: reports are per team
  group_id              INTEGER,            -- the recovery group that works the case
  assignee_id           INTEGER,
  status                TEXT NOT NULL DEFAULT 'open',   -- open | contacted | closed
  outcome               TEXT,               -- recovered | not_recovered | unreachable
  trigger               TEXT NOT NULL,      -- low_stars | not_resolved
  trigger_stars         INTEGER,
  notes                 TEXT NOT NULL DEFAULT '[]',     -- [{author_id, body, at}]
  due_at                INTEGER NOT NULL,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  contacted_at          INTEGER,
  closed_at             INTEGER,
  follow_up_request_id  INTEGER REFERENCES feedback_requests(id)
);
CREATE INDEX recovery_cases_status ON recovery_cases(status, due_at);
CREATE INDEX recovery_cases_team ON recovery_cases(team_group_id, created_at);
CREATE INDEX recovery_cases_assignee ON recovery_cases(assignee_id, status);

-- A team lead's praise or micro-coaching note on a rating, shown to the agent.
CREATE TABLE rating_reactions (
  id          INTEGER PRIMARY KEY,
  rating_id   INTEGER NOT NULL REFERENCES ratings(id),
  author_id   INTEGER NOT NULL REFERENCES users(id),
  kind        TEXT NOT NULL,        -- praise | coaching
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX rating_reactions_rating ON rating_reactions(rating_id, id);

-- What a happy customer chose for the agent from the reward catalog; a manager fulfils it.
CREATE TABLE rewards (
  id            INTEGER PRIMARY KEY,
  rating_id     INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
  agent_id      INTEGER NOT NULL REFERENCES users(id),
  item          TEXT NOT NULL,      -- catalog id
  label         TEXT NOT NULL,      -- catalog label at the time of choosing
  points        INTEGER NOT NULL,
  status        TEXT NOT NULL DEFAULT 'chosen',  -- chosen | fulfilled | cancelled
  fulfilled_by  INTEGER,
  fulfilled_at  INTEGER,
  created_at    INTEGER NOT NULL
);
CREATE INDEX rewards_agent ON rewards(agent_id, created_at);
CREATE INDEX rewards_status ON rewards(status, created_at);

-- Per agent, UTC day, team and site: the sums every feedback metric is made of. Kept in the same
-- transaction as each survey rating, so a 90-day leaderboard reads 90 rows per agent, not every
-- rating.
CREATE TABLE rating_daily (
  agent_id      INTEGER NOT NULL,
  day           INTEGER NOT NULL,   -- days since 1970-01-01 (UTC)
  group_id      INTEGER NOT NULL DEFAULT 0,   -- 0: no group
  site_id       INTEGER NOT NULL DEFAULT 0,   -- 0: no site
  answers       INTEGER NOT NULL DEFAULT 0,   -- star answers
  stars_sum     INTEGER NOT NULL DEFAULT 0,
  csat          INTEGER NOT NULL DEFAULT 0,   -- 4-5 stars
  dsat          INTEGER NOT NULL DEFAULT 0,   -- 1-2 stars
  resolved_answers INTEGER NOT NULL DEFAULT 0,
  resolved_yes  INTEGER NOT NULL DEFAULT 0,
  nps_answers   INTEGER NOT NULL DEFAULT 0,
  promoters     INTEGER NOT NULL DEFAULT 0,
  detractors    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, agent_id, group_id, site_id)
) WITHOUT ROWID;
