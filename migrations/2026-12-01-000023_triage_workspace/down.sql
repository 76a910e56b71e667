DROP INDEX topics_triage_activity;
DROP INDEX topics_triage_votes;
DROP INDEX topics_triage_me_too;
DROP INDEX topics_triage_age;
ALTER TABLE overdue_notices DROP COLUMN stage;
DROP TABLE triage_views;
