-- Mail intake: the SHA-256 of the raw mail a message arrived as (its bytes are a blob), and the
-- quarantine for mail that must not become a ticket (rejected, or a bounce / auto-reply /
-- feedback report about nothing we know).

ALTER TABLE messages ADD COLUMN raw_sha256 TEXT CHECK (raw_sha256 ~ '^[0-9a-f]{64}$');

CREATE TABLE quarantine (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel            TEXT   NOT NULL,
    -- The Message-ID, or an id made from the raw SHA-256: a redelivery finds the first copy.
    channel_message_id TEXT   NOT NULL,
    kind               TEXT   NOT NULL
                       CHECK (kind IN ('rejected', 'bounce', 'auto_reply', 'feedback_report')),
    reason             TEXT   NOT NULL,
    raw_sha256         TEXT   NOT NULL CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    size               BIGINT NOT NULL,
    sender             TEXT,
    subject            TEXT,
    received_at        BIGINT NOT NULL,
    CONSTRAINT quarantine_channel_message_id_key UNIQUE (channel, channel_message_id)
);
