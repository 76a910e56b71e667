-- Background work: a generic job queue and the mail outbox.

CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL DEFAULT '{}',
    -- Optional key that makes enqueueing the same work twice a no-op.
    dedupe_key  TEXT,
    run_at      TIMESTAMPTZ NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 10,
    locked_until TIMESTAMPTZ,
    last_error  TEXT,
    done_at     TIMESTAMPTZ,
    failed_at   TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key);
-- The claim query scans only pending jobs in run order.
CREATE INDEX jobs_pending ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;

-- One row per (event, recipient): the unique key is what keeps a replayed event from mailing twice.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    event_key       TEXT NOT NULL,
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_at      TIMESTAMPTZ,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mail_outbox_event_recipient ON mail_outbox (event_key, recipient);
CREATE INDEX mail_outbox_user_id ON mail_outbox (user_id);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued';
