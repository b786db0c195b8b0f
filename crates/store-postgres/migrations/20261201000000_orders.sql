-- Orders and shipments from shops and couriers, and the input that could not be imported.
-- An order is kept as the domain's JSON text (compared as text to detect no-op upserts), with
-- the columns look-ups need beside it.

CREATE TABLE orders (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop        TEXT   NOT NULL,
    number      TEXT   NOT NULL,
    -- The shop system's own id, which its fulfilment and refund messages use.
    external_id TEXT,
    customer_id BIGINT NOT NULL CONSTRAINT orders_customer_id_fkey REFERENCES customers (id),
    doc         TEXT   NOT NULL,
    ordered_at  BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT orders_shop_number_key UNIQUE (shop, number)
);
CREATE INDEX orders_customer ON orders (customer_id, ordered_at DESC);
CREATE INDEX orders_external ON orders (shop, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE shipments (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        BIGINT NOT NULL CONSTRAINT shipments_order_id_fkey REFERENCES orders (id),
    courier         TEXT   NOT NULL,
    tracking_number TEXT   NOT NULL,
    tracking_url    TEXT,
    flags           TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT shipments_order_parcel_key UNIQUE (order_id, courier, tracking_number)
);
CREATE INDEX shipments_tracking ON shipments (tracking_number);

CREATE TABLE shipment_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    kind        TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    -- '' when the courier gave none, so that the same scan sent twice is one row.
    location    TEXT   NOT NULL,
    description TEXT,
    CONSTRAINT shipment_events_scan_key UNIQUE (shipment_id, kind, at, location)
);

CREATE TABLE import_rejects (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     TEXT   NOT NULL,
    line       BIGINT,
    reason     TEXT   NOT NULL,
    raw        TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
