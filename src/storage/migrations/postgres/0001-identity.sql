-- Users, the provider identities that reach them, sessions and the
-- revocation log that every node and connected app tails.
CREATE TABLE users (
  id       TEXT PRIMARY KEY,          -- the service's own UUID
  name     TEXT NOT NULL,
  picture  TEXT NOT NULL DEFAULT '',
  created  BIGINT NOT NULL
);

CREATE TABLE identities (
  provider          TEXT NOT NULL,    -- 'test', 'google', 'oidc:<name>', ...
  provider_user_id  TEXT NOT NULL,
  user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created           BIGINT NOT NULL,
  PRIMARY KEY (provider, provider_user_id)
);
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE sessions (
  sid        TEXT PRIMARY KEY,        -- public id, carried in the lease
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider   TEXT NOT NULL,
  ip         TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  created    BIGINT NOT NULL,
  refreshed  BIGINT NOT NULL,
  revoked    BIGINT                   -- time of revocation, NULL while active
);
CREATE INDEX sessions_user ON sessions(user_id, revoked);

-- Append-only; cursor order is the order apps must apply revocations in.
-- Appends happen only inside write transactions, which take turns, so
-- cursors commit in order and a reader never skips one.
CREATE TABLE revocations (
  cursor   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind     TEXT NOT NULL,             -- 'session' | 'membership' | 'user' | 'app'
  subject  TEXT NOT NULL,             -- sid, membership id or user id
  user_id  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
