-- Closed beta programmes (内测): a private board read by the programme's group, gates to apply,
-- a quota, open and close dates, and versioned terms every applicant accepts.
CREATE TABLE programmes (
    id               BIGSERIAL PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    board_id         BIGINT NOT NULL UNIQUE REFERENCES boards (id),
    product_id       BIGINT NOT NULL REFERENCES products (id),
    group_id         BIGINT NOT NULL REFERENCES groups (id),
    terms_md         TEXT NOT NULL,
    terms_version    INT NOT NULL DEFAULT 1,
    min_level        SMALLINT NOT NULL DEFAULT 1 CHECK (min_level BETWEEN 1 AND 10),
    min_honor        INT NOT NULL DEFAULT 0 CHECK (min_honor >= 0),
    min_account_days INT NOT NULL DEFAULT 0 CHECK (min_account_days >= 0),
    quota            INT CHECK (quota > 0),
    opens_at         TIMESTAMPTZ,
    closes_at        TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE programme_applications (
    id             BIGSERIAL PRIMARY KEY,
    programme_id   BIGINT NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device         TEXT NOT NULL,
    os_version     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    terms_version  INT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'left', 'removed')),
    note           TEXT NOT NULL DEFAULT '',
    decided_by     BIGINT REFERENCES users (id),
    decided_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (programme_id, user_id)
);
CREATE INDEX programme_applications_queue ON programme_applications (programme_id, status, id);
-- Every foreign key is indexed (erasure and deletes look rows up by them).
CREATE INDEX programme_applications_user ON programme_applications (user_id);
CREATE INDEX programme_applications_decider ON programme_applications (decided_by);
CREATE INDEX programmes_product ON programmes (product_id);
CREATE INDEX programmes_group ON programmes (group_id);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'mention', 'subscribed', 'status', 'post_hidden', 'review_escalated',
                    'medal', 'silence', 'suspend', 'overdue', 'programme_approved',
                    'programme_rejected'));
