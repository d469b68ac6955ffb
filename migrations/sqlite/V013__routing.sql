-- Rapport schema, version 13: skills- and capacity-based routing (docs/routing.md).
--
-- Configuration: skills with a type, agents' skill levels (1..5), agents' capacity per ticket
-- channel, and one routing policy per group (method, queue order, requirement rules with their
-- relaxation steps as JSON, validated by the service). Every change appends a `routing.*` event.
--
-- State the in-memory engine rebuilds from on restart: `routing_queue` keeps when each waiting
-- ticket entered the queue (its waiting time and relaxation steps survive a restart), and
-- `routing_assignments` every assignment routing made (who is idle longest, where round robin
-- stands, and which work is "unstarted" and returns to the queue when its agent goes offline).
CREATE TABLE routing_skills (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  type         TEXT NOT NULL CHECK (type IN ('language', 'product', 'tier', 'custom')),
  description  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (type, name)
);

CREATE TABLE routing_agent_skills (
  user_id   INTEGER NOT NULL REFERENCES users(id),
  skill_id  INTEGER NOT NULL REFERENCES routing_skills(id),
  level     INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  PRIMARY KEY (user_id, skill_id)
) WITHOUT ROWID;
CREATE INDEX routing_agent_skills_skill ON routing_agent_skills(skill_id);

CREATE TABLE routing_capacity (
  user_id   INTEGER NOT NULL REFERENCES users(id),
  channel   TEXT NOT NULL,
  capacity  INTEGER NOT NULL CHECK (capacity BETWEEN 0 AND 1000),
  PRIMARY KEY (user_id, channel)
) WITHOUT ROWID;

CREATE TABLE routing_policies (
  id            INTEGER PRIMARY KEY,
  group_id      INTEGER NOT NULL UNIQUE REFERENCES groups(id),
  name          TEXT NOT NULL,
  method        TEXT NOT NULL CHECK (method IN ('round_robin', 'least_busy', 'longest_idle')),
  queue_order   TEXT NOT NULL CHECK (queue_order IN ('oldest', 'priority', 'sla')),
  requirements  TEXT NOT NULL DEFAULT '[]',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE routing_queue (
  ticket_id    INTEGER PRIMARY KEY REFERENCES tickets(id),
  group_id     INTEGER NOT NULL,
  enqueued_at  INTEGER NOT NULL
);

CREATE TABLE routing_assignments (
  id           INTEGER PRIMARY KEY,
  ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
  agent_id     INTEGER NOT NULL REFERENCES users(id),
  group_id     INTEGER NOT NULL,
  policy_id    INTEGER NOT NULL,
  enqueued_at  INTEGER NOT NULL,
  assigned_at  INTEGER NOT NULL,
  returned_at  INTEGER          -- set when the work went back to the queue (agent offline)
);
CREATE INDEX routing_assignments_ticket ON routing_assignments(ticket_id, id);
CREATE INDEX routing_assignments_agent ON routing_assignments(agent_id, id);
CREATE INDEX routing_assignments_group ON routing_assignments(group_id, id);
