-- A person's saved queue views: a name and the filters, as the queue's URL holds them.
CREATE TABLE triage_views (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    filters    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX triage_views_name ON triage_views (user_id, lower(name));

-- Overdue notices go to the assignee first (stage 1), then to the whole team (stage 2).
ALTER TABLE overdue_notices ADD COLUMN stage SMALLINT NOT NULL DEFAULT 2 CHECK (stage IN (1, 2));

-- The queue's other sorts, each a keyset walk inside one team like the priority index.
CREATE INDEX topics_triage_age ON topics (team_id, created_at DESC, id DESC) WHERE kind IN ('bug', 'idea');
CREATE INDEX topics_triage_me_too ON topics (team_id, me_too_count DESC, id DESC) WHERE kind IN ('bug', 'idea');
CREATE INDEX topics_triage_votes ON topics (team_id, vote_count DESC, id DESC) WHERE kind IN ('bug', 'idea');
CREATE INDEX topics_triage_activity ON topics (team_id, last_posted_at DESC, id DESC) WHERE kind IN ('bug', 'idea');
