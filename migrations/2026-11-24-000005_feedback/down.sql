DROP TABLE satisfaction;
ALTER TABLE users DROP COLUMN notify_status;
DELETE FROM notifications WHERE kind = 'status';
DROP INDEX notifications_mail_pending;
DROP INDEX notifications_status_change_id;
DROP INDEX notifications_user_status;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('reply', 'mention', 'subscribed'));
ALTER TABLE notifications DROP COLUMN status_change_id, DROP COLUMN mail_pending;
ALTER TABLE notifications ALTER COLUMN post_id SET NOT NULL;
DROP TABLE status_changes;
DROP TABLE topic_votes;
DROP INDEX topics_status;
ALTER TABLE topics DROP CONSTRAINT topics_status_check;
ALTER TABLE topics
    DROP COLUMN product_id, DROP COLUMN vote_count, DROP COLUMN me_too_count, DROP COLUMN trending,
    DROP COLUMN duplicate_of, DROP COLUMN status_changed_at;
DROP TABLE bug_reports;
DROP TABLE products;
