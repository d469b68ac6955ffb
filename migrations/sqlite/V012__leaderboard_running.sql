-- Rapport schema, version 12: leaderboards in time independent of the window's length.
--
-- `rating_daily` holds one row per agent, day, group and site; ranking 1,000 agents over 90 days
-- summed ~90,000 of them per request. `rating_running` holds, per (agent, group, site) and per day
-- that had answers, the running totals up to and including that day, so any window's sums are
-- (totals at its last day) - (totals before its first day): two index seeks per key, whatever the
-- window. `rating_keys` lists the keys, so nothing scans to find them. Both are kept in the
-- rating's own transaction, with `rating_daily` (which stays: per-day drill-down reads it).
CREATE TABLE rating_keys (
  agent_id  INTEGER NOT NULL,
  group_id  INTEGER NOT NULL,
  site_id   INTEGER NOT NULL,
  PRIMARY KEY (agent_id, group_id, site_id)
) WITHOUT ROWID;
CREATE INDEX rating_keys_group ON rating_keys(group_id);
CREATE INDEX rating_keys_site ON rating_keys(site_id);

CREATE TABLE rating_running (
  agent_id          INTEGER NOT NULL,
  group_id          INTEGER NOT NULL,
  site_id           INTEGER NOT NULL,
  day               INTEGER NOT NULL,   -- days since 1970-01-01 (UTC); totals up to and including it
  answers           INTEGER NOT NULL,
  stars_sum         INTEGER NOT NULL,
  csat              INTEGER NOT NULL,
  dsat              INTEGER NOT NULL,
  resolved_answers  INTEGER NOT NULL,
  resolved_yes      INTEGER NOT NULL,
  nps_answers       INTEGER NOT NULL,
  promoters         INTEGER NOT NULL,
  detractors        INTEGER NOT NULL,
  PRIMARY KEY (agent_id, group_id, site_id, day)
) WITHOUT ROWID;

INSERT INTO rating_keys(agent_id, group_id, site_id)
  SELECT DISTINCT agent_id, group_id, site_id FROM rating_daily;

INSERT INTO rating_running
  SELECT agent_id, group_id, site_id, day,
         SUM(answers) OVER w, SUM(stars_sum) OVER w, SUM(csat) OVER w, SUM(dsat) OVER w,
         SUM(resolved_answers) OVER w, SUM(resolved_yes) OVER w, SUM(nps_answers) OVER w,
         SUM(promoters) OVER w, SUM(detractors) OVER w
  FROM rating_daily
  WINDOW w AS (PARTITION BY agent_id, group_id, site_id ORDER BY day ROWS UNBOUNDED PRECEDING);
