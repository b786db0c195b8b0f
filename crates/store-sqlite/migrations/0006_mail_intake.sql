-- Mail intake: the SHA-256 of the raw mail a message arrived as (its bytes are a blob), and the
-- quarantine for mail that must not become a ticket (rejected, or a bounce / auto-reply /
-- feedback report about nothing we know).

ALTER TABLE messages ADD COLUMN raw_sha256 TEXT;

CREATE TABLE quarantine (
    id                 INTEGER PRIMARY KEY,
    channel            TEXT    NOT NULL,
    -- The Message-ID, or an id made from the raw SHA-256: a redelivery finds the first copy.
    channel_message_id TEXT    NOT NULL,
    kind               TEXT    NOT NULL
                       CHECK (kind IN ('rejected', 'bounce', 'auto_reply', 'feedback_report')),
    reason             TEXT    NOT NULL,
    raw_sha256         TEXT    NOT NULL,
    size               INTEGER NOT NULL,
    sender             TEXT,
    subject            TEXT,
    received_at        INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX quarantine_channel_id ON quarantine (channel, channel_message_id);
