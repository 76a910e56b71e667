-- The team hears once when an item passes its SLA without an official response (a row here
-- marks it told; topics is at diesel's 32-column limit).
CREATE TABLE overdue_notices (
    topic_id    BIGINT PRIMARY KEY REFERENCES topics (id),
    notified_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend', 'overdue'));
