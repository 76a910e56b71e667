-- Feedback: products, structured bug reports, votes and me-too, statuses with history,
-- duplicates, satisfaction follow-up.

CREATE TABLE products (
    id         BIGSERIAL PRIMARY KEY,
    slug       TEXT NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name_zh    TEXT NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 80),
    name_en    TEXT NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 80),
    line       TEXT NOT NULL CHECK (line IN ('phone', 'smart_home', 'wearable', 'app', 'service')),
    -- Teams arrive with triage; the foreign key is added then.
    team_id    BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX products_slug ON products (slug);
CREATE INDEX products_team_id ON products (team_id);

CREATE TABLE bug_reports (
    topic_id        BIGINT PRIMARY KEY REFERENCES topics (id),
    product_id      BIGINT NOT NULL REFERENCES products (id),
    os_version      TEXT NOT NULL CHECK (char_length(os_version) BETWEEN 1 AND 80),
    app_version     TEXT CHECK (char_length(app_version) <= 80),
    reproducibility TEXT NOT NULL CHECK (reproducibility IN ('always', 'often', 'rarely', 'once')),
    severity        TEXT NOT NULL CHECK (severity IN ('crash', 'major', 'minor', 'cosmetic')),
    steps           TEXT NOT NULL DEFAULT '' CHECK (char_length(steps) <= 10000),
    expected        TEXT NOT NULL DEFAULT '' CHECK (char_length(expected) <= 5000),
    actual          TEXT NOT NULL DEFAULT '' CHECK (char_length(actual) <= 5000)
);
CREATE INDEX bug_reports_product_id ON bug_reports (product_id);

-- Ideas may name a product too (the roadmap groups by product).
ALTER TABLE topics
    ADD COLUMN product_id   BIGINT REFERENCES products (id),
    ADD COLUMN vote_count   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN me_too_count INTEGER NOT NULL DEFAULT 0,
    -- Votes in the last 7 days, refreshed on votes and by a job; the "trending" sort.
    ADD COLUMN trending     INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN duplicate_of BIGINT REFERENCES topics (id),
    ADD COLUMN status_changed_at TIMESTAMPTZ;
ALTER TABLE topics ADD CONSTRAINT topics_status_check
    CHECK (status IN ('new', 'needs_info', 'acknowledged', 'planned', 'in_progress', 'resolved', 'declined', 'duplicate'));
CREATE INDEX topics_product_id ON topics (product_id);
CREATE INDEX topics_duplicate_of ON topics (duplicate_of);
CREATE INDEX topics_board_votes ON topics (board_id, vote_count DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_board_trending ON topics (board_id, trending DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_status ON topics (status, status_changed_at DESC);

-- One vote (ideas) or one me-too (bugs) per person per topic.
CREATE TABLE topic_votes (
    topic_id   BIGINT NOT NULL REFERENCES topics (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('vote', 'me_too')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic_id, user_id, kind)
);
CREATE INDEX topic_votes_user_id ON topic_votes (user_id, created_at DESC);
CREATE INDEX topic_votes_recent ON topic_votes (topic_id, created_at);

-- Every status change, kept: who, when, the note, the version that fixed it.
CREATE TABLE status_changes (
    id           BIGSERIAL PRIMARY KEY,
    topic_id     BIGINT NOT NULL REFERENCES topics (id),
    actor_id     BIGINT NOT NULL REFERENCES users (id),
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '' CHECK (char_length(note) <= 5000),
    note_html    TEXT NOT NULL DEFAULT '',
    fixed_in     TEXT CHECK (char_length(fixed_in) <= 80),
    duplicate_of BIGINT REFERENCES topics (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_changes_topic_id ON status_changes (topic_id, id DESC);
CREATE INDEX status_changes_actor_id ON status_changes (actor_id);
CREATE INDEX status_changes_duplicate_of ON status_changes (duplicate_of);

-- Status notifications have no post; mail for them is batched per person.
ALTER TABLE notifications ALTER COLUMN post_id DROP NOT NULL;
ALTER TABLE notifications
    ADD COLUMN status_change_id BIGINT REFERENCES status_changes (id),
    ADD COLUMN mail_pending BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status'));
CREATE UNIQUE INDEX notifications_user_status ON notifications (user_id, status_change_id);
CREATE INDEX notifications_status_change_id ON notifications (status_change_id);
CREATE INDEX notifications_mail_pending ON notifications (user_id) WHERE mail_pending;
ALTER TABLE users
    ADD COLUMN notify_status TEXT NOT NULL DEFAULT 'mail' CHECK (notify_status IN ('off', 'in_app', 'mail'));

-- 回访: is the reporter (or a me-too user) satisfied with the outcome?
CREATE TABLE satisfaction (
    topic_id   BIGINT NOT NULL REFERENCES topics (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    satisfied  BOOLEAN NOT NULL,
    comment    TEXT NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic_id, user_id)
);
CREATE INDEX satisfaction_user_id ON satisfaction (user_id);
