-- Named groups an admin manages (beta testers, moderators of a region...). The implied groups
-- (staff, team:<slug>, level:N) are not rows: access.rs derives them from role, teams and level.
CREATE TABLE groups (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE group_members (
    group_id    BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Who may read and who may post on a board. Group lists hold group slugs, named or implied;
-- the admin API checks every one exists when the rule is written.
ALTER TABLE boards
    ADD COLUMN read_rule TEXT NOT NULL DEFAULT 'public'
        CHECK (read_rule IN ('public', 'signed_in', 'groups', 'staff')),
    ADD COLUMN post_rule TEXT NOT NULL DEFAULT 'signed_in'
        CHECK (post_rule IN ('signed_in', 'groups', 'staff')),
    ADD COLUMN read_groups TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN post_groups TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN min_level_read SMALLINT NOT NULL DEFAULT 0 CHECK (min_level_read BETWEEN 0 AND 10),
    ADD COLUMN min_level_post SMALLINT NOT NULL DEFAULT 0 CHECK (min_level_post BETWEEN 0 AND 10);
