DROP TRIGGER mod_log_append_only ON mod_log;
CREATE TRIGGER mod_log_append_only BEFORE UPDATE OR DELETE ON mod_log
    FOR EACH ROW EXECUTE FUNCTION chorus_append_only();
DROP FUNCTION chorus_mod_log_guard();
DROP TABLE export_files;
DROP TABLE erasures;
DROP TABLE held_usernames;
ALTER TABLE users DROP COLUMN erased_at;
