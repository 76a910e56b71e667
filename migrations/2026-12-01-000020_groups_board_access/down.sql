ALTER TABLE boards
    DROP COLUMN read_rule, DROP COLUMN post_rule, DROP COLUMN read_groups,
    DROP COLUMN post_groups, DROP COLUMN min_level_read, DROP COLUMN min_level_post;
DROP TABLE group_members;
DROP TABLE groups;
