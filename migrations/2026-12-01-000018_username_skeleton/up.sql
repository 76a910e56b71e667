-- What a name looks like (UTS #39 skeleton). Not unique: rows from before this column may already
-- look alike; registration checks it under an advisory lock instead. Filled from Rust at start.
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE INDEX users_username_skeleton ON users (username_skeleton);
