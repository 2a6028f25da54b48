-- Client applications that speak the realtime channel (/login/ws). The
-- secret is 32 random bytes shown once; only its SHA-256 is kept.
CREATE TABLE apps (
  id           TEXT PRIMARY KEY,              -- public, like a user name
  name         TEXT NOT NULL,
  secret_hash  BYTEA NOT NULL,                -- SHA-256 of the secret's bytes
  created      BIGINT NOT NULL,
  last_seen    BIGINT                         -- last successful authentication
);
CREATE UNIQUE INDEX apps_name ON apps(name);
