-- A counter that moves whenever anything an authenticated principal is made of changes: the user
-- (role, Rapport role, active, suspended, organization, email, restriction), their organization's
-- sharing, their group memberships, and API tokens (revocation). The server caches the principal
-- of a token it has checked together with this counter, and trusts the cache only while the
-- counter is unchanged (http/api.cpp), so a revoked token or a suspended user is refused on the
-- very next request. Triggers, not application code, move it: no write path can forget to.
CREATE TABLE auth_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n  INTEGER NOT NULL
);
INSERT INTO auth_epoch(id, n) VALUES (1, 0);

CREATE TRIGGER auth_epoch_users_insert AFTER INSERT ON users BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_users_update AFTER UPDATE ON users BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_users_delete AFTER DELETE ON users BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_organizations_insert AFTER INSERT ON organizations BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_organizations_update AFTER UPDATE ON organizations BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_organizations_delete AFTER DELETE ON organizations BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_group_memberships_insert AFTER INSERT ON group_memberships BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_group_memberships_update AFTER UPDATE ON group_memberships BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_group_memberships_delete AFTER DELETE ON group_memberships BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_api_tokens_insert AFTER INSERT ON api_tokens BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_api_tokens_update AFTER UPDATE ON api_tokens BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_api_tokens_delete AFTER DELETE ON api_tokens BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
