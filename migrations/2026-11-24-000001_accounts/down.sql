DROP TABLE rate_limits;
DROP TABLE account_tokens;
DROP TABLE sessions;
DROP TABLE consents;
DROP TABLE users;
