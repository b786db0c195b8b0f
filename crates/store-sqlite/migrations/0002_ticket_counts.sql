-- Ticket totals per (status, assignee), kept exact by triggers in the same transaction as the
-- change, so that a ticket list's `total` is a sum over a few dozen rows instead of a count
-- over every matching ticket. Unassigned tickets count under assignee 0 (agent ids start at 1).

CREATE TABLE ticket_counts (
    status      TEXT NOT NULL,
    assignee_id INTEGER NOT NULL,
    tickets     INTEGER NOT NULL,
    PRIMARY KEY (status, assignee_id)
) STRICT, WITHOUT ROWID;

INSERT INTO ticket_counts (status, assignee_id, tickets)
SELECT status, coalesce(assignee_id, 0), count(*) FROM tickets GROUP BY 1, 2;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_counts (status, assignee_id, tickets)
    VALUES (NEW.status, coalesce(NEW.assignee_id, 0), 1)
    ON CONFLICT (status, assignee_id) DO UPDATE SET tickets = tickets + 1;
END;

CREATE TRIGGER tickets_count_update AFTER UPDATE OF status, assignee_id ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.assignee_id IS NOT NEW.assignee_id
BEGIN
    UPDATE ticket_counts SET tickets = tickets - 1
     WHERE status = OLD.status AND assignee_id = coalesce(OLD.assignee_id, 0);
    INSERT INTO ticket_counts (status, assignee_id, tickets)
    VALUES (NEW.status, coalesce(NEW.assignee_id, 0), 1)
    ON CONFLICT (status, assignee_id) DO UPDATE SET tickets = tickets + 1;
END;

CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets
BEGIN
    UPDATE ticket_counts SET tickets = tickets - 1
     WHERE status = OLD.status AND assignee_id = coalesce(OLD.assignee_id, 0);
END;
