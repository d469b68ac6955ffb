-- Workforce: agents' current presence. Every change also appends an `agent.presence_changed`
-- event (entity user, data {"status", "previous"}) in the same transaction; schedule adherence
-- and routing read those events, this table is only the current state.
CREATE TABLE agent_presence (
  user_id  INTEGER PRIMARY KEY REFERENCES users(id),
  status   TEXT NOT NULL CHECK (status IN ('online', 'away', 'offline')),
  since    INTEGER NOT NULL
);
CREATE INDEX agent_presence_status ON agent_presence(status, user_id);

-- Schedules: each row is a paid block of one activity. `work` is time available for contacts;
-- the others are paid but unavailable (shrinkage). An import appends one `schedule.imported` event.
CREATE TABLE shifts (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  activity    TEXT NOT NULL DEFAULT 'work'
              CHECK (activity IN ('work', 'break', 'training', 'coaching', 'meeting')),
  created_at  INTEGER NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_user ON shifts(user_id, starts_at);
CREATE INDEX shifts_start ON shifts(starts_at);

-- Absences: planned (vacation, booked leave) or unplanned (sickness, no-show: absenteeism).
-- Each appends an `absence.recorded` event.
CREATE TABLE absences (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  planned     INTEGER NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  created_by  INTEGER,
  CHECK (ends_at > starts_at)
);
CREATE INDEX absences_user ON absences(user_id, starts_at);
CREATE INDEX absences_start ON absences(starts_at);
