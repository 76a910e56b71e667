ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
DELETE FROM mail_outbox WHERE status = 'cancelled';
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE mail_outbox DROP COLUMN post_id;
ALTER TABLE users
    DROP COLUMN notify_reply,
    DROP COLUMN notify_mention,
    DROP COLUMN notify_subscribed,
    DROP COLUMN digest_weekly;
DROP TABLE notifications;
DROP TABLE board_follows;
DROP TABLE subscriptions;
DROP TABLE post_likes;
DROP TABLE post_revisions;
DROP TABLE posts;
DROP TABLE topics;
DROP TABLE boards;
