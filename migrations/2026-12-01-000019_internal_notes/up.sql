-- Notes staff and the routed team keep on a bug or idea. Never shown to fans, never indexed,
-- never mailed; only their author's export carries them.
CREATE TABLE internal_notes (
    id          BIGSERIAL PRIMARY KEY,
    topic_id    BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    author_id   BIGINT NOT NULL REFERENCES users (id),
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX internal_notes_topic ON internal_notes (topic_id, id);
CREATE INDEX internal_notes_author ON internal_notes (author_id);
