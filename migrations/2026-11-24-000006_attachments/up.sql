-- Logs and screenshots attached to bug reports. Files live under data/uploads with server-made
-- names; the type is what the content is, not what the name says.
CREATE TABLE attachments (
    id            BIGSERIAL PRIMARY KEY,
    topic_id      BIGINT NOT NULL REFERENCES topics (id),
    uploader_id   BIGINT NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL CHECK (kind IN ('log', 'image')),
    mime          TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes > 0),
    original_name TEXT NOT NULL CHECK (char_length(original_name) <= 200),
    stored_name   TEXT NOT NULL,
    -- Logs carry personal data: private ones are for the uploader, the team and staff only.
    private       BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX attachments_stored_name ON attachments (stored_name);
CREATE INDEX attachments_topic_id ON attachments (topic_id);
CREATE INDEX attachments_uploader_id ON attachments (uploader_id);
