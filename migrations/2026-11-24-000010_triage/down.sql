DROP INDEX topics_unrouted;
DROP INDEX topics_team;
ALTER TABLE topics DROP COLUMN routed_by, DROP COLUMN team_id;
DROP TABLE routing_rules;
ALTER TABLE products DROP CONSTRAINT products_team_fk;
DROP TABLE team_members;
DROP TABLE teams;
