-- How a person sees the site: light, dark or their system's choice; and the time zone their
-- times are shown in (NULL: the default for their language).
ALTER TABLE users ADD COLUMN color_scheme TEXT NOT NULL DEFAULT 'auto'
    CHECK (color_scheme IN ('auto', 'light', 'dark'));
ALTER TABLE users ADD COLUMN time_zone TEXT CHECK (char_length(time_zone) <= 64);

-- A flagger hears how their flag was decided.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend', 'overdue', 'programme_approved',
                    'programme_rejected', 'flag_upheld', 'flag_declined', 'assigned'));
