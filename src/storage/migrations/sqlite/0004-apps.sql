-- Client applications that speak the realtime channel (/login/ws). The
-- secret is 32 random bytes shown once; only its SHA-256 is kept (a
-- high-entropy secret needs no slow hash, see src/apps/apps.ts).
CREATE TABLE apps (
  id           TEXT PRIMARY KEY,              -- public, like a user name
  name         TEXT NOT NULL,
  secret_hash  BLOB NOT NULL,                 -- SHA-256 of the secret's bytes
  created      INTEGER NOT NULL,
  last_seen    INTEGER                        -- last successful authentication
);
CREATE UNIQUE INDEX apps_name ON apps(name);
