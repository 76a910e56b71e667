-- How a person sees the site: light, dark or their system's choice; and the time zone their
-- times are shown in (NULL: the default for their language).
ALTER TABLE users ADD COLUMN color_scheme TEXT NOT NULL DEFAULT 'auto'
    CHECK (color_scheme IN ('auto', 'light', 'dark'));
ALTER TABLE users ADD COLUMN time_zone TEXT CHECK (char_length(time_zone) <= 64);
