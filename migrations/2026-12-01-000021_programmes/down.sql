DELETE FROM notifications WHERE kind IN ('programme_approved', 'programme_rejected');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend', 'overdue'));
DROP TABLE programme_applications;
DROP TABLE programmes;
