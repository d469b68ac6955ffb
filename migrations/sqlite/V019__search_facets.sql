-- Search facets (domain/search_facets.hpp): the full-text index gets a third column holding each
-- ticket's filterable fields as words, so filters and text intersect inside FTS5 and the exact
-- count of a search no longer reads every match from the tickets table. FTS5 tables cannot gain
-- a column, so the index is rebuilt under a new name and renamed. Deleted tickets have no row.
CREATE VIRTUAL TABLE ticket_fts_next USING fts5(subject, body, facets, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO ticket_fts_next(rowid, subject, body, facets)
  SELECT f.rowid, f.subject, f.body,
         ticket_facets(t.status, t.priority, t.type, t.tags, t.requester_id, t.submitter_id, t.assignee_id,
                       t.organization_id, t.group_id, t.channel)
  FROM ticket_fts f JOIN tickets t ON t.id = f.rowid
  WHERE t.deleted_at IS NULL;
DROP TABLE ticket_fts;
ALTER TABLE ticket_fts_next RENAME TO ticket_fts;
