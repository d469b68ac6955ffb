-- V020's triggers moved auth_epoch on every change to users, organizations and tokens, so a login
-- (last_login_at), a new requester from inbound mail or a new token emptied every cached principal
-- (http/api.cpp). Only what a principal is made of moves it now: the user's identity, roles,
-- restriction, state and organization; the organization's sharing; a token's revocation or owner;
-- and any deletion. Inserts cannot change a principal already cached: a new user, organization or
-- token was never part of one. Memberships keep all three triggers (an insert adds a group).
DROP TRIGGER auth_epoch_users_insert;
DROP TRIGGER auth_epoch_users_update;
DROP TRIGGER auth_epoch_organizations_insert;
DROP TRIGGER auth_epoch_organizations_update;
DROP TRIGGER auth_epoch_api_tokens_insert;
DROP TRIGGER auth_epoch_api_tokens_update;
CREATE TRIGGER auth_epoch_users_update
  AFTER UPDATE OF email, email_key, role, rapport_role, active, suspended, organization_id, ticket_restriction ON users
  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_organizations_update AFTER UPDATE OF shared_tickets ON organizations
  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_api_tokens_update AFTER UPDATE OF token_hash, user_id, revoked_at ON api_tokens
  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
