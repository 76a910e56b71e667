-- Triage, part two: a stored priority with its breakdown, SLA due times, first official
-- response, assignee.
ALTER TABLE topics
    ADD COLUMN priority           DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN priority_breakdown JSONB,
    ADD COLUMN sla_due_at         TIMESTAMPTZ,
    ADD COLUMN first_response_at  TIMESTAMPTZ,
    ADD COLUMN assignee_id        BIGINT REFERENCES users (id);
CREATE INDEX topics_triage_queue ON topics (team_id, priority DESC, id DESC) WHERE kind IN ('bug', 'idea');
CREATE INDEX topics_assignee ON topics (assignee_id);
