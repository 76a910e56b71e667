DELETE FROM notifications WHERE topic_id IS NULL
    OR kind NOT IN ('reply', 'mention', 'subscribed', 'status');
DROP INDEX notifications_user_post;
CREATE UNIQUE INDEX notifications_user_post ON notifications (user_id, post_id);
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status'));
ALTER TABLE notifications ALTER COLUMN topic_id SET NOT NULL;
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
