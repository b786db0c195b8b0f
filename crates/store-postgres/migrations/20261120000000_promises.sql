-- The promise ledger: every promise made to a customer, pending until kept, broken or cancelled,
-- and kept afterwards as evidence. Pending rows are also the deadline engine's work list; state
-- changes are conditional (`WHERE state = 'pending'`), so of several nodes acting on one
-- promise exactly one succeeds.

CREATE TABLE promises (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT   NOT NULL,
    state         TEXT   NOT NULL
        CONSTRAINT promises_state_check CHECK (state IN ('pending', 'kept', 'broken', 'cancelled')),
    made_by       TEXT   NOT NULL
        CONSTRAINT promises_made_by_check CHECK (made_by IN ('system', 'bot', 'agent')),
    made_by_agent BIGINT CONSTRAINT promises_made_by_agent_fkey REFERENCES agents (id),
    -- The words shown to the customer.
    text          TEXT   NOT NULL,
    ticket_id     BIGINT CONSTRAINT promises_ticket_id_fkey REFERENCES tickets (id),
    customer_id   BIGINT CONSTRAINT promises_customer_id_fkey REFERENCES customers (id),
    order_number  TEXT,
    -- The message the promise was made in.
    message_id    BIGINT REFERENCES messages (id),
    -- The calendar (by name) the due time is counted in.
    calendar      TEXT,
    created_at    BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    -- The warning before the deadline: when it is due, and when it was recorded as sent.
    warn_at       BIGINT,
    warned_at     BIGINT,
    -- Set while the clock stands still (waiting for the customer); due_at moves on resume.
    paused_at     BIGINT,
    settled_at    BIGINT,
    settled_by    TEXT,
    -- The keeper's note, or the reason for breaking or cancelling.
    note          TEXT
);

-- Keyset pagination newest first for each list filter.
CREATE INDEX promises_ticket_id ON promises (ticket_id, id DESC);
CREATE INDEX promises_customer_id ON promises (customer_id, id DESC);
CREATE INDEX promises_order_id ON promises (order_number, id DESC) WHERE order_number IS NOT NULL;
CREATE INDEX promises_state_id ON promises (state, id DESC);

-- The deadline engine's two questions, each one index range: "pending, clock running, due
-- before T" and "pending, clock running, not yet warned, warnable before T" — claimed with
-- FOR UPDATE SKIP LOCKED by as many nodes as run.
CREATE INDEX promises_due ON promises (due_at, id)
    WHERE state = 'pending' AND paused_at IS NULL;
CREATE INDEX promises_warn ON promises (warn_at, id)
    WHERE state = 'pending' AND paused_at IS NULL AND warned_at IS NULL AND warn_at IS NOT NULL;
