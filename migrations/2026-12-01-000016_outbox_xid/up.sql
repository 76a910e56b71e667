-- The search outbox without gaps. Ids are handed out at insert but transactions commit out of
-- order, so "every id above the last one read" skips a lower id that commits later. Each row
-- now carries its transaction's id (64-bit, never wraps); the indexer reads by (xid, id) and
-- never moves its position past the oldest transaction still running
-- (pg_snapshot_xmin), so a row that commits late is still ahead of it.
ALTER TABLE search_outbox
    ADD COLUMN xid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX search_outbox_xid_id ON search_outbox (xid, id);

-- How far the hourly cleanup has pruned: an index whose position is below this missed rows
-- and must be rebuilt.
CREATE TABLE search_outbox_pruned (
    id           SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    below_xid    BIGINT NOT NULL
);
