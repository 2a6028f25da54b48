-- Passkeys (docs/passkeys.md, "How passkeys are checked"): WebAuthn credentials, each a sign-in method
-- of one account, and the challenges of the ceremonies under way.
CREATE TABLE passkeys (
  id               TEXT PRIMARY KEY,          -- the service's own UUID (URLs name it, not the credential id)
  credential_id    TEXT NOT NULL UNIQUE,      -- base64url, as the authenticator made it: one account's, across all
  user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  public_key       BLOB NOT NULL,             -- COSE_Key
  counter          INTEGER NOT NULL,          -- the signature counter last seen (0: the authenticator keeps none)
  transports       TEXT NOT NULL,             -- JSON array: 'internal', 'hybrid', 'usb', ...
  backup_eligible  INTEGER NOT NULL,          -- may be synced to other devices (a "multi-device" passkey)
  backed_up        INTEGER NOT NULL,          -- is synced, as last seen
  name             TEXT NOT NULL,
  created          INTEGER NOT NULL,
  last_used        INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A challenge is used once (taken by a statement that deletes it) within
-- its deadline, by the browser that asked for it. Any node may verify the
-- answer to a challenge another node made.
CREATE TABLE passkey_challenges (
  challenge  TEXT PRIMARY KEY,               -- base64url, as sent in the options
  browser    TEXT NOT NULL,                  -- SHA-256 of the flow cookie of the browser that asked
  purpose    TEXT NOT NULL,                  -- 'sign-in' | 'add' | 'sign-up'
  user_id    TEXT,                           -- 'add': the signed-in account; 'sign-up': the account to create
  detail     TEXT NOT NULL,                  -- JSON: where to go next, the typed name, the invitation
  expires    INTEGER NOT NULL
);
CREATE INDEX passkey_challenges_expires ON passkey_challenges(expires);

-- How a session began, as OpenID Connect's `amr` (RFC 8176) says it: NULL for a provider.
ALTER TABLE sessions ADD COLUMN amr TEXT;
