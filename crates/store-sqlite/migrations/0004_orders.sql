-- Orders and shipments from shops and couriers, and the input that could not be imported.

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    shop        TEXT NOT NULL,
    number      TEXT NOT NULL,
    -- The shop system's own id, which its fulfilment and refund messages use.
    external_id TEXT,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    -- The order as the domain serialises it (JSON); an upsert with the same text changes
    -- nothing.
    doc         TEXT NOT NULL,
    -- When the customer ordered (the order's created_at), for newest-first lists.
    ordered_at  INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (shop, number)
) STRICT;

CREATE INDEX orders_customer ON orders (customer_id, ordered_at);
CREATE INDEX orders_external ON orders (shop, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE shipments (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    courier         TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url    TEXT,
    -- Sorted, space-separated flag words.
    flags           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (order_id, courier, tracking_number)
) STRICT;

CREATE INDEX shipments_tracking ON shipments (tracking_number);

CREATE TABLE shipment_events (
    id          INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES shipments (id),
    kind        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    -- '' when the courier gave none, so that the same scan sent twice is one row.
    location    TEXT NOT NULL,
    description TEXT,
    UNIQUE (shipment_id, kind, at, location)
) STRICT;

CREATE TABLE import_rejects (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    line       INTEGER,
    reason     TEXT NOT NULL,
    raw        TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
