-- Discussions: boards, topics, threaded posts, likes, subscriptions, notifications.

CREATE TABLE boards (
    id             BIGSERIAL PRIMARY KEY,
    slug           TEXT NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name_zh        TEXT NOT NULL CHECK (char_length(name_zh) BETWEEN 1 AND 60),
    name_en        TEXT NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 60),
    description_zh TEXT NOT NULL DEFAULT '' CHECK (char_length(description_zh) <= 500),
    description_en TEXT NOT NULL DEFAULT '' CHECK (char_length(description_en) <= 500),
    kinds          TEXT[] NOT NULL DEFAULT '{discussion}',
    position       INTEGER NOT NULL DEFAULT 0,
    product_line   TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX boards_slug ON boards (slug);

CREATE TABLE topics (
    id             BIGSERIAL PRIMARY KEY,
    board_id       BIGINT NOT NULL REFERENCES boards (id),
    author_id      BIGINT NOT NULL REFERENCES users (id),
    kind           TEXT NOT NULL CHECK (kind IN ('discussion', 'bug', 'idea')),
    title          TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 150),
    tags           TEXT[] NOT NULL DEFAULT '{}',
    -- Plain-text start of the opening post, for listings without a join.
    excerpt        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'new',
    featured       BOOLEAN NOT NULL DEFAULT false,
    pinned         BOOLEAN NOT NULL DEFAULT false,
    locked         BOOLEAN NOT NULL DEFAULT false,
    hidden_at      TIMESTAMPTZ,
    deleted_at     TIMESTAMPTZ,
    reply_count    INTEGER NOT NULL DEFAULT 0,
    like_count     INTEGER NOT NULL DEFAULT 0,
    -- Precomputed, refreshed on events and by a scheduled job; listings sort on it.
    hot_rank       DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_posted_at TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX topics_board_id ON topics (board_id);
CREATE INDEX topics_author_id ON topics (author_id, created_at DESC);
-- Keyset listings: one index per sort, visible topics only.
CREATE INDEX topics_board_hot ON topics (board_id, hot_rank DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_board_new ON topics (board_id, created_at DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_board_top ON topics (board_id, like_count DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_hot ON topics (hot_rank DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_new ON topics (created_at DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_top ON topics (like_count DESC, id DESC) WHERE hidden_at IS NULL AND deleted_at IS NULL;
CREATE INDEX topics_recent_activity ON topics (last_posted_at);

CREATE TABLE posts (
    id          BIGSERIAL PRIMARY KEY,
    topic_id    BIGINT NOT NULL REFERENCES topics (id),
    author_id   BIGINT NOT NULL REFERENCES users (id),
    parent_id   BIGINT REFERENCES posts (id),
    -- Ids from the opening post down to this one: ORDER BY path is the thread in reading order.
    path        BIGINT[] NOT NULL,
    depth       INTEGER NOT NULL CHECK (depth >= 0),
    body_md     TEXT NOT NULL CHECK (char_length(body_md) <= 50000),
    body_html   TEXT NOT NULL,
    like_count  INTEGER NOT NULL DEFAULT 0,
    hidden_at   TIMESTAMPTZ,
    deleted_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    edited_at   TIMESTAMPTZ
);
CREATE INDEX posts_topic_path ON posts (topic_id, path);
CREATE INDEX posts_parent_id ON posts (parent_id);
CREATE INDEX posts_author_id ON posts (author_id, created_at DESC);

-- Every edit keeps the text it replaced.
CREATE TABLE post_revisions (
    id          BIGSERIAL PRIMARY KEY,
    post_id     BIGINT NOT NULL REFERENCES posts (id),
    editor_id   BIGINT NOT NULL REFERENCES users (id),
    body_md     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX post_revisions_post_id ON post_revisions (post_id, id);
CREATE INDEX post_revisions_editor_id ON post_revisions (editor_id);

CREATE TABLE post_likes (
    post_id    BIGINT NOT NULL REFERENCES posts (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_likes_user_id ON post_likes (user_id);

CREATE TABLE subscriptions (
    topic_id   BIGINT NOT NULL REFERENCES topics (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic_id, user_id)
);
CREATE INDEX subscriptions_user_id ON subscriptions (user_id);

CREATE TABLE board_follows (
    board_id   BIGINT NOT NULL REFERENCES boards (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (board_id, user_id)
);
CREATE INDEX board_follows_user_id ON board_follows (user_id);

CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'subscribed')),
    topic_id   BIGINT NOT NULL REFERENCES topics (id),
    post_id    BIGINT NOT NULL REFERENCES posts (id),
    actor_id   BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
-- One notification per person per post, whatever mix of reasons.
CREATE UNIQUE INDEX notifications_user_post ON notifications (user_id, post_id);
CREATE INDEX notifications_user_id ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_topic_id ON notifications (topic_id);
CREATE INDEX notifications_post_id ON notifications (post_id);
CREATE INDEX notifications_actor_id ON notifications (actor_id);

-- Per-kind delivery: off, in_app, or mail (mail includes in-app).
ALTER TABLE users
    ADD COLUMN notify_reply      TEXT NOT NULL DEFAULT 'mail' CHECK (notify_reply IN ('off', 'in_app', 'mail')),
    ADD COLUMN notify_mention    TEXT NOT NULL DEFAULT 'mail' CHECK (notify_mention IN ('off', 'in_app', 'mail')),
    ADD COLUMN notify_subscribed TEXT NOT NULL DEFAULT 'in_app' CHECK (notify_subscribed IN ('off', 'in_app', 'mail')),
    ADD COLUMN digest_weekly     BOOLEAN NOT NULL DEFAULT false;

-- Mail about a post is re-checked at send time: no mail about what the reader can no longer see.
ALTER TABLE mail_outbox ADD COLUMN post_id BIGINT REFERENCES posts (id);
CREATE INDEX mail_outbox_post_id ON mail_outbox (post_id);
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled'));
