-- trustdesk's embedded schema. Timestamps are microseconds since the Unix epoch; ids are rowids
-- handed out by SQLite; every table is STRICT so a wrong type is an error, not a silent cast.

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    name         TEXT,
    language     TEXT,
    merged_into  INTEGER REFERENCES customers (id),
    -- Lower-cased name and identity values, one per line: what list filters search in.
    filter_text  TEXT NOT NULL,
    -- Analyzer terms of the name and identity values: the `customer` column of the search
    -- document of every ticket of this customer.
    search_terms TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

-- Live customers, newest first, without visiting merged ones.
CREATE INDEX customers_live ON customers (id) WHERE merged_into IS NULL;

CREATE TABLE customer_identities (
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    PRIMARY KEY (kind, value)
) STRICT, WITHOUT ROWID;

CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE agents (
    id                   INTEGER PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT,
    must_change_password INTEGER NOT NULL,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    number        INTEGER NOT NULL UNIQUE,
    subject       TEXT NOT NULL,
    -- Analyzer terms of the subject: the `subject` column of the ticket's search document.
    subject_terms TEXT NOT NULL,
    status        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    language      TEXT,
    assignee_id   INTEGER REFERENCES agents (id),
    -- Sorted, space-separated (tags have no spaces); `ticket_tags` is the index for filters.
    tags          TEXT NOT NULL,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- Keyset pagination newest first (`id < ?` ORDER BY id DESC) for each list filter.
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, id);
CREATE INDEX tickets_customer ON tickets (customer_id, id);

CREATE TABLE ticket_tags (
    tag       TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (tag, ticket_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX ticket_tags_ticket ON ticket_tags (ticket_id);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    ticket_id          INTEGER NOT NULL REFERENCES tickets (id),
    direction          TEXT NOT NULL,
    author_kind        TEXT NOT NULL CHECK (author_kind IN ('customer', 'agent', 'system')),
    author_id          INTEGER,
    text               TEXT NOT NULL,
    html               TEXT,
    -- The ticket's channel, copied so that channel ids are unique per channel by an index.
    channel            TEXT NOT NULL,
    channel_message_id TEXT,
    delivery_state     TEXT NOT NULL,
    -- Analyzer terms of `text`: the ticket's search document is rebuilt from these when a
    -- message is added, and a hit's best message is chosen by them without re-analysing.
    terms              TEXT NOT NULL,
    created_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX messages_ticket ON messages (ticket_id, id);
CREATE UNIQUE INDEX messages_channel_id ON messages (channel, channel_message_id)
    WHERE channel_message_id IS NOT NULL;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    sha256       TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL
) STRICT;

CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE events (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    payload   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL,
    PRIMARY KEY (ticket_id, seq)
) STRICT, WITHOUT ROWID;

-- The event log is evidence: the database itself refuses to change or drop an entry.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    agent_id      INTEGER REFERENCES agents (id),
    secret_sha256 BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
) STRICT;

-- One search document per ticket (rowid = ticket id): subject, customer (name and identity
-- values) and the text of every message, all as produced by the domain's analyzer, so the
-- `ascii` tokenizer only splits on spaces.
--
-- Contentless (content='') rather than external-content: the index never has to hand text
-- back (snippets are cut in Rust from the message text), and the analyzed terms we keep
-- (tickets.subject_terms, customers.search_terms, messages.terms) are spread over three
-- tables, which an external-content table cannot point at. `contentless_delete=1` lets the
-- writer replace a ticket's document with a plain DELETE + INSERT, without feeding the old
-- terms back the way an external-content 'delete' needs; adding a message costs one rebuild
-- of that ticket's document, not of anything else.
CREATE VIRTUAL TABLE ticket_search USING fts5 (
    subject,
    customer,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'ascii'
);
