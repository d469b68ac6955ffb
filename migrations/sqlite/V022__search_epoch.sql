-- Moved by every process that rewrites a ticket's full-text row without a search cache to tell
-- (the CLI: `rapport mail receive`, `rapport seed`), in the same transaction: the server's text
-- cache (tickets/text_matches.hpp) learns of its own writes directly, and of any other process's
-- by this number changing in its snapshot.
CREATE TABLE search_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO search_epoch (id, n) VALUES (1, 0);
