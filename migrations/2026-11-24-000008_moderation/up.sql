-- Moderation: flags and the review queue, sanctions, an append-only audit log, and a log of staff
-- looking at personal data.

CREATE FUNCTION chorus_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

ALTER TABLE users
    ADD COLUMN silenced_until  TIMESTAMPTZ,
    ADD COLUMN suspended_until TIMESTAMPTZ,
    -- Outcomes of this user's flags: accuracy feeds the weight of the next ones.
    ADD COLUMN flags_agreed    INT NOT NULL DEFAULT 0,
    ADD COLUMN flags_disagreed INT NOT NULL DEFAULT 0;

-- Why a post is hidden: 'flags' (threshold reached), 'held' (new user's link), 'moderator'.
ALTER TABLE posts ADD COLUMN hidden_reason TEXT;

-- Staff may see where a session signed in from (recorded in the access log when they do).
ALTER TABLE sessions ADD COLUMN ip TEXT;

-- One open review per post: flags accumulate on it until a moderator decides.
CREATE TABLE reviews (
    id           BIGSERIAL PRIMARY KEY,
    post_id      BIGINT NOT NULL REFERENCES posts (id),
    cause        TEXT NOT NULL CHECK (cause IN ('flags', 'held')),
    weight       DOUBLE PRECISION NOT NULL DEFAULT 0,
    top_reason   TEXT,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'deferred', 'agreed', 'disagreed')),
    created_at   TIMESTAMPTZ NOT NULL,
    escalated_at TIMESTAMPTZ,
    decided_at   TIMESTAMPTZ,
    decided_by   BIGINT REFERENCES users (id),
    note         TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reviews_open_post ON reviews (post_id) WHERE status IN ('pending', 'deferred');
CREATE INDEX reviews_decided_by ON reviews (decided_by);
CREATE INDEX reviews_open ON reviews (status, weight DESC, created_at) WHERE status IN ('pending', 'deferred');

CREATE TABLE flags (
    id         BIGSERIAL PRIMARY KEY,
    post_id    BIGINT NOT NULL REFERENCES posts (id),
    flagger_id BIGINT NOT NULL REFERENCES users (id),
    review_id  BIGINT NOT NULL REFERENCES reviews (id),
    reason     TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'duplicate', 'other')),
    note       TEXT NOT NULL DEFAULT '',
    weight     DOUBLE PRECISION NOT NULL,
    outcome    TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'agreed', 'disagreed')),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (post_id, flagger_id)
);
CREATE INDEX flags_review ON flags (review_id);
CREATE INDEX flags_flagger ON flags (flagger_id, created_at);

CREATE TABLE sanctions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('silence', 'suspend')),
    reason     TEXT NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    lifted_at  TIMESTAMPTZ,
    lifted_by  BIGINT REFERENCES users (id)
);
CREATE INDEX sanctions_user ON sanctions (user_id, starts_at DESC);
CREATE INDEX sanctions_created_by ON sanctions (created_by);
CREATE INDEX sanctions_lifted_by ON sanctions (lifted_by);

CREATE TABLE mod_log (
    id             BIGSERIAL PRIMARY KEY,
    -- NULL: the system acted (a flag threshold, an escalation).
    actor_id       BIGINT REFERENCES users (id),
    action         TEXT NOT NULL,
    topic_id       BIGINT,
    post_id        BIGINT,
    target_user_id BIGINT,
    reason         TEXT NOT NULL DEFAULT '',
    before         JSONB,
    after          JSONB,
    -- Staff personal data: shown to admins only.
    actor_ip       TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX mod_log_target_user ON mod_log (target_user_id, id DESC);
CREATE INDEX mod_log_actor ON mod_log (actor_id, id DESC);
CREATE TRIGGER mod_log_append_only BEFORE UPDATE OR DELETE ON mod_log
    FOR EACH ROW EXECUTE FUNCTION chorus_append_only();

CREATE TABLE personal_data_access (
    id         BIGSERIAL PRIMARY KEY,
    staff_id   BIGINT NOT NULL REFERENCES users (id),
    subject_id BIGINT NOT NULL REFERENCES users (id),
    -- 'email', 'ips', 'private_attachment:<id>'
    what       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX personal_data_access_subject ON personal_data_access (subject_id, id DESC);
CREATE INDEX personal_data_access_staff ON personal_data_access (staff_id, id DESC);
CREATE TRIGGER personal_data_access_append_only BEFORE UPDATE OR DELETE ON personal_data_access
    FOR EACH ROW EXECUTE FUNCTION chorus_append_only();

-- Notices without a topic (a medal, a sanction) and a short detail (medal slug, reason).
ALTER TABLE notifications ALTER COLUMN topic_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend'));
-- One "someone posted" notice per person per post; moderation notices may repeat.
DROP INDEX notifications_user_post;
CREATE UNIQUE INDEX notifications_user_post ON notifications (user_id, post_id)
    WHERE kind IN ('reply', 'mention', 'subscribed');
