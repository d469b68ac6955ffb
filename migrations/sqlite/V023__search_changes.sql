-- The tickets whose search fields another process changed (the CLI: `rapport mail receive`
-- reopening a solved ticket, `rapport automations run` closing one), listed in the same
-- transaction that moves search_epoch. A running server's facet table (tickets/facet_table.hpp)
-- takes them from here and deletes them; it holds no row for a change it has not taken. At most
-- one row per ticket.
CREATE TABLE search_changes (ticket_id INTEGER PRIMARY KEY);
