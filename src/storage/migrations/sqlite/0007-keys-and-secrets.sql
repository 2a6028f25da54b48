-- Nodes keep no state of their own: the signing keys and the server's
-- secrets live in the database, so a new node joins by pointing at it
-- (docs/operating.md, "Running several nodes").
-- One row per key generation: the lease key and the keys that sign beside
-- it (OpenID Connect ID tokens), rotated together by `keys rotate`.
CREATE TABLE signing_keys (
  kid       TEXT PRIMARY KEY,               -- the generation's lease key id
  seq       INTEGER NOT NULL,               -- the order generations were made in (several may share a second)
  created   INTEGER NOT NULL,
  retired   INTEGER,                         -- set when the next generation took over
  material  TEXT NOT NULL                   -- JSON: the generation's key pairs, private halves included
);

CREATE TABLE server_secrets (
  name     TEXT PRIMARY KEY,               -- 'form-secret', ...
  value    TEXT NOT NULL,                  -- base64url
  created  INTEGER NOT NULL
);

-- The order of acceptances (the second device goes where the last one led).
ALTER TABLE invitation_acceptances ADD COLUMN seq INTEGER;
UPDATE invitation_acceptances SET seq = rowid;
