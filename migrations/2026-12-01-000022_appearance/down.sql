DELETE FROM notifications WHERE kind IN ('flag_upheld', 'flag_declined', 'assigned');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend', 'overdue', 'programme_approved',
                    'programme_rejected'));
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE users DROP COLUMN color_scheme;
