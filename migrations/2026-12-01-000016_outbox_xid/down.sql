DROP TABLE search_outbox_pruned;
DROP INDEX search_outbox_xid_id;
ALTER TABLE search_outbox DROP COLUMN xid;
