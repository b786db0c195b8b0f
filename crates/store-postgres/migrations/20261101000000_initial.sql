-- trustdesk on PostgreSQL: customers, tickets, messages, the event log, agents, tokens, search
-- and blobs. Instants are BIGINT microseconds since the Unix epoch, as on SQLite. Constraint
-- names are part of the contract: the store maps violations to errors by these names.

-- Substring search over customer names and identities (list_customers' text filter).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE agents (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                TEXT    NOT NULL CONSTRAINT agents_email_key UNIQUE,
    name                 TEXT    NOT NULL,
    role                 TEXT    NOT NULL,
    password_hash        TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT false,
    disabled             BOOLEAN NOT NULL DEFAULT false,
    created_at           BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    agent_id      BIGINT CONSTRAINT api_tokens_agent_id_fkey REFERENCES agents (id),
    secret_sha256 BYTEA  NOT NULL CONSTRAINT api_tokens_secret_sha256_key UNIQUE
                         CHECK (length(secret_sha256) = 32),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE customers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT,
    language    TEXT,
    merged_into BIGINT REFERENCES customers (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX customers_live_id ON customers (id DESC) WHERE merged_into IS NULL;
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX customers_name_trgm ON customers USING GIN (name gin_trgm_ops);

-- (kind, value) is unique across customers: one address, one person.
CREATE TABLE customer_identities (
    kind        TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    CONSTRAINT customer_identities_pkey PRIMARY KEY (kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);
CREATE INDEX customer_identities_value_trgm ON customer_identities USING GIN (value gin_trgm_ops);

CREATE SEQUENCE ticket_number_seq AS BIGINT START WITH 1;

CREATE TABLE tickets (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number      BIGINT NOT NULL DEFAULT nextval('ticket_number_seq')
                       CONSTRAINT tickets_number_key UNIQUE,
    subject     TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    priority    TEXT   NOT NULL,
    channel     TEXT   NOT NULL,
    language    TEXT,
    assignee_id BIGINT CONSTRAINT tickets_assignee_id_fkey REFERENCES agents (id),
    customer_id BIGINT NOT NULL CONSTRAINT tickets_customer_id_fkey REFERENCES customers (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;
-- Keyset pagination newest first, one index per list filter.
CREATE INDEX tickets_status_id ON tickets (status, id DESC);
CREATE INDEX tickets_assignee_id ON tickets (assignee_id, id DESC);
CREATE INDEX tickets_unassigned_id ON tickets (id DESC) WHERE assignee_id IS NULL;
CREATE INDEX tickets_customer_id ON tickets (customer_id, id DESC);

-- Exact ticket totals per status without counting millions of rows on every list page.
-- Each connection adds to its own shard (by backend pid), so concurrent writers do not queue
-- on one counter row; a total is the sum over the shards.
CREATE TABLE ticket_counts (
    status TEXT     NOT NULL,
    shard  SMALLINT NOT NULL,
    n      BIGINT   NOT NULL,
    PRIMARY KEY (status, shard)
);

CREATE FUNCTION ticket_counts_add(s TEXT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ticket_counts (status, shard, n) VALUES (s, pg_backend_pid() % 64, delta)
    ON CONFLICT (status, shard) DO UPDATE SET n = ticket_counts.n + EXCLUDED.n
$$;

CREATE FUNCTION tickets_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM ticket_counts_add(OLD.status, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM ticket_counts_add(NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_counted_insert_delete AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_counted();
CREATE TRIGGER tickets_counted_status AFTER UPDATE OF status ON tickets
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION tickets_counted();

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    tag       TEXT   NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag_ticket ON ticket_tags (tag, ticket_id DESC);

CREATE TABLE messages (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id          BIGINT   NOT NULL REFERENCES tickets (id),
    -- The ticket's channel (which never changes): channel ids are unique per channel.
    channel            TEXT     NOT NULL,
    direction          TEXT     NOT NULL,
    author_kind        TEXT     NOT NULL CHECK (author_kind IN ('customer', 'agent', 'system')),
    author_id          BIGINT,
    text               TEXT     NOT NULL,
    html               TEXT,
    channel_message_id TEXT,
    delivery_state     TEXT     NOT NULL,
    -- This message's own terms (the analyzer's output), to pick the snippet of a search hit.
    terms              TSVECTOR NOT NULL,
    created_at         BIGINT   NOT NULL,
    CHECK ((author_kind = 'system') = (author_id IS NULL))
);
CREATE INDEX messages_ticket_id ON messages (ticket_id, id);
CREATE UNIQUE INDEX messages_channel_message_id_key ON messages (channel, channel_message_id)
    WHERE channel_message_id IS NOT NULL;

CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   BIGINT NOT NULL REFERENCES messages (id),
    sha256       TEXT   NOT NULL,
    filename     TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL
);
CREATE INDEX attachments_message_id ON attachments (message_id, id);

-- The hash-chained log. Gap-free seq per ticket is guaranteed by writers locking the ticket
-- row; the primary key makes a duplicate impossible even if one did not.
CREATE TABLE events (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    seq       BIGINT NOT NULL CHECK (seq >= 1),
    kind      TEXT   NOT NULL,
    actor     TEXT   NOT NULL,
    payload   TEXT   NOT NULL,
    at        BIGINT NOT NULL,
    prev_hash BYTEA  NOT NULL CHECK (length(prev_hash) = 32),
    hash      BYTEA  NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_pkey PRIMARY KEY (ticket_id, seq)
);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- A tsvector holds at most 1 MB, and a ticket's document only grows. Appending keeps
-- positions (for ranking) while the document is small, drops them once it is large, and stops
-- adding terms rather than refuse a message when even that would not fit. The first size is
-- the stored (possibly compressed) one, hence the wide margin below 1 MB.
CREATE FUNCTION trustdesk_tsvector_append(acc tsvector, more tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN pg_column_size(acc) + pg_column_size(more) <= 131072 THEN acc || more
        WHEN pg_column_size(strip(acc)) + pg_column_size(strip(more)) <= 524288
            THEN strip(acc) || strip(more)
        ELSE acc
    END
$$;
CREATE AGGREGATE trustdesk_tsvector_agg(tsvector) (
    SFUNC = trustdesk_tsvector_append,
    STYPE = tsvector,
    INITCOND = ''
);

-- One search document per ticket. `head` holds what can change in place (subject, customer
-- name and identities) and is rebuilt on such changes; `body` only ever grows, one message at
-- a time, so adding a message never re-reads the ticket's earlier messages.
CREATE TABLE ticket_search (
    ticket_id BIGINT   PRIMARY KEY REFERENCES tickets (id),
    head      TSVECTOR NOT NULL,
    body      TSVECTOR NOT NULL
);
-- Queries must spell the document exactly like this to use the index.
CREATE INDEX ticket_search_document ON ticket_search USING GIN ((head || body));

-- Attachment bytes, content-addressed; nodes keep no files of their own.
CREATE TABLE blobs (
    sha256     TEXT   PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes      BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);
-- Attachments are already compressed more often than not; TOAST's pglz would waste CPU.
ALTER TABLE blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
