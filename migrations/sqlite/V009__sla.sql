-- Version 9: business-hours schedules with holidays, SLA policies, and each ticket's SLA clocks.
-- docs/sla.md defines the rules; src/rapport/sla/ keeps these tables.

-- Zendesk's business_hours/schedules: a time zone and weekly intervals in minutes from
-- Sunday 00:00 local time. The lowest id is the default schedule.
CREATE TABLE business_schedules (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  time_zone   TEXT NOT NULL,             -- as given: an IANA name or a Zendesk (Rails) name
  intervals   TEXT NOT NULL DEFAULT '[]', -- [{"start_time":1980,"end_time":2460}, ...]
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Closed local dates, inclusive.
CREATE TABLE business_holidays (
  id           INTEGER PRIMARY KEY,
  schedule_id  INTEGER NOT NULL REFERENCES business_schedules(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  start_date   TEXT NOT NULL,             -- YYYY-MM-DD
  end_date     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX business_holidays_schedule ON business_holidays(schedule_id, start_date);

CREATE TABLE sla_policies (
  id              INTEGER PRIMARY KEY,
  title           TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  position        INTEGER NOT NULL,
  filter          TEXT NOT NULL,          -- {"all":[{field,operator,value}],"any":[...]}
  policy_metrics  TEXT NOT NULL,          -- [{priority,metric,target,business_hours}]
  pause_statuses  TEXT NOT NULL DEFAULT '["pending","hold"]',
  schedule_id     INTEGER REFERENCES business_schedules(id) ON DELETE SET NULL,
  escalation      TEXT NOT NULL DEFAULT '{}',  -- {priority, add_tags, group_id}, applied on breach
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- One row per ticket, metric and instance (next_reply_time and periodic_update_time repeat),
-- recomputed from the ticket's audits whenever it changes. notify_at is when the breach worker
-- must emit sla.breached; breach_event_id remembers that it did, so it never does twice.
CREATE TABLE ticket_slas (
  ticket_id        INTEGER NOT NULL REFERENCES tickets(id),
  metric           TEXT NOT NULL,
  instance         INTEGER NOT NULL,
  policy_id        INTEGER NOT NULL,
  stage            TEXT NOT NULL,        -- active | paused | achieved | breached
  target_seconds   INTEGER NOT NULL,
  business_hours   INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  breach_at        INTEGER,
  fulfilled_at     INTEGER,
  elapsed_seconds  INTEGER NOT NULL DEFAULT 0,
  notify_at        INTEGER,
  breach_event_id  INTEGER,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, metric, instance)
);
CREATE INDEX ticket_slas_notify ON ticket_slas(notify_at) WHERE notify_at IS NOT NULL;
CREATE INDEX ticket_slas_started ON ticket_slas(started_at);
CREATE INDEX ticket_slas_open ON ticket_slas(breach_at) WHERE stage IN ('active', 'breached') AND fulfilled_at IS NULL;
