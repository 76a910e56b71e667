-- Data rights: erasure, held usernames, mailed exports.

-- Set when the account was erased; the row stays so posts keep an author ("deleted user #N").
ALTER TABLE users ADD COLUMN erased_at TIMESTAMPTZ;

-- Names of erased accounts, held back for a while so nobody can pose as the person who left.
-- Only a SHA-256 of the name key is kept: the name itself is personal data.
CREATE TABLE held_usernames (
    key_hash   BYTEA PRIMARY KEY,
    held_until TIMESTAMPTZ NOT NULL
);

-- That an account was erased, at whose request and when: nothing of what it held.
CREATE TABLE erasures (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    requested_by TEXT NOT NULL CHECK (requested_by IN ('self', 'admin')),
    actor_id     BIGINT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX erasures_user_id ON erasures (user_id);
CREATE INDEX erasures_actor_id ON erasures (actor_id);

-- Large exports, built by a job and fetched through a mailed link that expires. Only a SHA-256
-- of the link's token is stored.
CREATE TABLE export_files (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL,
    file_name  TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX export_files_token_hash ON export_files (token_hash);
CREATE INDEX export_files_user_id ON export_files (user_id);
CREATE INDEX export_files_expires_at ON export_files (expires_at);

-- The audit log stays append-only, except that an erased actor's IP address may be blanked.
CREATE FUNCTION chorus_mod_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_ip IS NULL
       AND (to_jsonb(NEW) - 'actor_ip') = (to_jsonb(OLD) - 'actor_ip') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER mod_log_append_only ON mod_log;
CREATE TRIGGER mod_log_append_only BEFORE UPDATE OR DELETE ON mod_log
    FOR EACH ROW EXECUTE FUNCTION chorus_mod_log_guard();
