DROP INDEX topics_assignee;
DROP INDEX topics_triage_queue;
ALTER TABLE topics DROP COLUMN assignee_id, DROP COLUMN first_response_at, DROP COLUMN sla_due_at,
    DROP COLUMN priority_breakdown, DROP COLUMN priority;
