-- Content changes for the search index, written in the transaction of the change. Each node's
-- index remembers the last id it applied (in the tantivy commit payload), so rows are not deleted
-- when applied; the cleanup job drops old ones.
CREATE TABLE search_outbox (
    id         BIGSERIAL PRIMARY KEY,
    topic_id   BIGINT NOT NULL,
    -- NULL: the whole topic changed (status, votes, merge, visibility).
    post_id    BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX search_outbox_created_at ON search_outbox (created_at);
