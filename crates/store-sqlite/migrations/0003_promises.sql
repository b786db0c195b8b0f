-- The promise ledger: every promise made to a customer, pending until kept, broken or cancelled,
-- and kept afterwards as evidence. Pending rows are also the deadline engine's work list.

CREATE TABLE promises (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'kept', 'broken', 'cancelled')),
    made_by       TEXT NOT NULL CHECK (made_by IN ('system', 'bot', 'agent')),
    made_by_agent INTEGER REFERENCES agents (id),
    -- The words shown to the customer.
    text          TEXT NOT NULL,
    ticket_id     INTEGER REFERENCES tickets (id),
    customer_id   INTEGER REFERENCES customers (id),
    order_number  TEXT,
    -- The message the promise was made in.
    message_id    INTEGER REFERENCES messages (id),
    -- The calendar (by name) the due time is counted in.
    calendar      TEXT,
    created_at    INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    -- The warning before the deadline: when it is due, and when it was recorded as sent.
    warn_at       INTEGER,
    warned_at     INTEGER,
    -- Set while the clock stands still (waiting for the customer); due_at moves on resume.
    paused_at     INTEGER,
    settled_at    INTEGER,
    settled_by    TEXT,
    -- The keeper's note, or the reason for breaking or cancelling.
    note          TEXT
) STRICT;

-- Keyset pagination newest first for each list filter.
CREATE INDEX promises_ticket ON promises (ticket_id, id);
CREATE INDEX promises_customer ON promises (customer_id, id);
CREATE INDEX promises_order ON promises (order_number, id) WHERE order_number IS NOT NULL;
CREATE INDEX promises_state ON promises (state, id);

-- The deadline engine's two questions, each one index range: "pending, clock running, due
-- before T" and "pending, clock running, not yet warned, warnable before T".
CREATE INDEX promises_due ON promises (due_at, id)
    WHERE state = 'pending' AND paused_at IS NULL;
CREATE INDEX promises_warn ON promises (warn_at, id)
    WHERE state = 'pending' AND paused_at IS NULL AND warned_at IS NULL AND warn_at IS NOT NULL;
