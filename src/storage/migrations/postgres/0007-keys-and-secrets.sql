-- Nodes keep no state of their own: the signing keys and the server's
-- secrets live in the database, so a new node joins by pointing at it
-- (README, "Running several nodes").
CREATE TABLE signing_keys (
  kid          TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL,             -- 'lease', or what else signs with it
  alg          TEXT NOT NULL,             -- 'EdDSA', 'RS256', ...
  created      BIGINT NOT NULL,
  retired      BIGINT,                    -- set when a newer key of the same purpose took over
  private_jwk  TEXT NOT NULL,             -- JSON
  public_jwk   TEXT NOT NULL              -- JSON
);
CREATE INDEX signing_keys_purpose ON signing_keys(purpose, created);

CREATE TABLE server_secrets (
  name     TEXT PRIMARY KEY,               -- 'form-secret', ...
  value    TEXT NOT NULL,                  -- base64url
  created  BIGINT NOT NULL
);

-- The order of acceptances (the second device goes where the last one led).
ALTER TABLE invitation_acceptances ADD COLUMN seq BIGINT;
