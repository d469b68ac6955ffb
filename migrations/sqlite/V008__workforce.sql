-- Workforce: agents' current presence. Every change also appends an `agent.presence_changed`
-- event (entity user, data {"status", "previous"}) in the same transaction; schedule adherence
-- and routing read those events, this table is only the current state.
CREATE TABLE agent_presence (
  user_id  INTEGER PRIMARY KEY REFERENCES users(id),
  status   TEXT NOT NULL CHECK (status IN ('online', 'away', 'offline')),
  since    INTEGER NOT NULL
);
CREATE INDEX agent_presence_status ON agent_presence(status, user_id);
