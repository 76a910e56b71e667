ALTER TABLE notifications DROP COLUMN detail;
DROP TABLE personal_data_access;
DROP TABLE mod_log;
DROP TABLE sanctions;
DROP TABLE flags;
DROP TABLE reviews;
ALTER TABLE sessions DROP COLUMN ip;
ALTER TABLE posts DROP COLUMN hidden_reason;
ALTER TABLE users DROP COLUMN silenced_until, DROP COLUMN suspended_until,
    DROP COLUMN flags_agreed, DROP COLUMN flags_disagreed;
DROP FUNCTION chorus_append_only();
