-- Honor: an append-only ledger with one row per (reason, source), running totals kept in the
-- same transaction, levels and titles on users, medals.

ALTER TABLE users
    ADD COLUMN honor INT NOT NULL DEFAULT 0,
    ADD COLUMN level SMALLINT NOT NULL DEFAULT 1,
    -- Granted by an admin, e.g. 最佳贡献者.
    ADD COLUMN title TEXT;

CREATE TABLE honor_ledger (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    reason     TEXT NOT NULL,
    points     INT NOT NULL,
    -- What caused it, e.g. 'like:<post>:<liker>'; with the reason, unique: a replay counts once.
    source     TEXT NOT NULL,
    board_id   BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (reason, source)
);
CREATE INDEX honor_ledger_user ON honor_ledger (user_id, reason, created_at);
CREATE TRIGGER honor_ledger_append_only BEFORE UPDATE OR DELETE ON honor_ledger
    FOR EACH ROW EXECUTE FUNCTION chorus_append_only();

-- board_id 0: all boards; period 'all', '2026-W48' or '2026-11'.
CREATE TABLE honor_totals (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    board_id   BIGINT NOT NULL,
    period     TEXT NOT NULL,
    points     INT NOT NULL,
    -- Ties go to whoever got there first.
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, board_id, period)
);
CREATE INDEX honor_totals_board ON honor_totals (board_id, period, points DESC, updated_at, user_id);

CREATE TABLE user_medals (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    medal      TEXT NOT NULL,
    -- '' for once-only medals; '<board>:<month>' for Star of the Month.
    scope      TEXT NOT NULL DEFAULT '',
    awarded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, medal, scope)
);
