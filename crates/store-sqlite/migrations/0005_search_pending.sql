-- Tickets whose search document is still to be written (see `search_index.rs`): noted in the
-- transaction that changes the ticket, cleared when the documents are written, many at once.
-- is_new = 1: the ticket has no document yet, so there is none to replace.
CREATE TABLE search_pending (
    ticket_id INTEGER PRIMARY KEY,
    is_new    INTEGER NOT NULL
) STRICT;
