-- Triage, part one: product teams, ordered routing rules, and where each bug or idea is routed.

CREATE TABLE teams (
    id               BIGSERIAL PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    -- Time to first official response, per severity (bugs) and for ideas.
    sla_crash_hours  INT NOT NULL DEFAULT 24,
    sla_major_hours  INT NOT NULL DEFAULT 72,
    sla_minor_hours  INT NOT NULL DEFAULT 168,
    sla_idea_hours   INT NOT NULL DEFAULT 336,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE team_members (
    team_id    BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

ALTER TABLE products ADD CONSTRAINT products_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);

-- First match wins, by position. Empty conditions match anything; keywords are matched on the
-- normalised title and body (any one keyword suffices).
CREATE TABLE routing_rules (
    id           BIGSERIAL PRIMARY KEY,
    position     INT NOT NULL,
    team_id      BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    board        TEXT,
    product      TEXT,
    product_line TEXT,
    kind         TEXT CHECK (kind IN ('bug', 'idea')),
    tags         TEXT[] NOT NULL DEFAULT '{}',
    keywords     TEXT[] NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules (position, id);
CREATE INDEX routing_rules_team ON routing_rules (team_id);

ALTER TABLE topics
    ADD COLUMN team_id   BIGINT REFERENCES teams (id),
    -- 'rule:<id>', 'product', 'manual', or NULL (unrouted).
    ADD COLUMN routed_by TEXT;
CREATE INDEX topics_team ON topics (team_id) WHERE kind IN ('bug', 'idea');
CREATE INDEX topics_unrouted ON topics (id) WHERE kind IN ('bug', 'idea') AND team_id IS NULL;
