-- Accounts: users, consent records, sessions, single-use tokens, rate-limit counters.

CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    username            TEXT NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
    -- NFKC + lowercase form of username, computed in Rust so uniqueness does not depend on the
    -- database collation.
    username_key        TEXT NOT NULL,
    email               TEXT NOT NULL CHECK (char_length(email) <= 254),
    email_verified_at   TIMESTAMPTZ,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL DEFAULT 'member'
                        CHECK (role IN ('member', 'moderator', 'team_member', 'admin')),
    locale              TEXT CHECK (locale IN ('zh-CN', 'en')),
    privacy_version     TEXT NOT NULL,
    privacy_accepted_at TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_email ON users (email);

-- Every acceptance of a privacy policy version, kept for the user's export.
CREATE TABLE consents (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy_version TEXT NOT NULL,
    accepted_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_user_id ON consents (user_id);

-- Server-side sessions; only a SHA-256 of the token is stored.
CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BYTEA NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 200),
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Single-use tokens mailed to users (email verification, password reset).
CREATE TABLE account_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    token_hash BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX account_tokens_token_hash ON account_tokens (token_hash);
CREATE INDEX account_tokens_user_id ON account_tokens (user_id);

-- Fixed-window counters, shared by every node.
CREATE TABLE rate_limits (
    key          TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
