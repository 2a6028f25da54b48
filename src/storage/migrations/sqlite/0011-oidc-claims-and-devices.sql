-- What apps that create local accounts need of a person, device sign-in and
-- re-authentication (docs/openid-provider.md, "Claims", "Device sign-in").

-- The address a provider vouched for at the last sign-in with this identity
-- (Google's and OpenID Connect's email_verified, GitHub's primary verified
-- address, Facebook's); NULL when it vouched for none.
ALTER TABLE identities ADD COLUMN email TEXT;
-- The address the person picked for apps to see; NULL: the first of their identities'.
ALTER TABLE users ADD COLUMN email TEXT;
-- The handle apps see as preferred_username: unique whatever its case, kept
-- by a deleted account so that nobody else is ever given it.
ALTER TABLE users ADD COLUMN handle TEXT;
CREATE UNIQUE INDEX users_handle ON users(lower(handle));

-- When the person last proved who they are on this session (a sign-in as the
-- same person keeps the session); NULL: when it was created.
ALTER TABLE sessions ADD COLUMN authenticated INTEGER;

-- A client that may use the device authorization grant (RFC 8628).
ALTER TABLE apps ADD COLUMN device INTEGER NOT NULL DEFAULT 0;
-- Device codes are looked up by the user code a person types.
ALTER TABLE oidc_models ADD COLUMN user_code TEXT;
CREATE INDEX oidc_models_user_code ON oidc_models(user_code) WHERE user_code IS NOT NULL;

-- Attempts counted against a limit until `window_ends` (Unix seconds): user
-- codes typed at /login/device, per client address and per code, keyed by a
-- hash so that no code is kept in the clear.
CREATE TABLE attempt_counters (
  key          TEXT PRIMARY KEY,
  count        INTEGER NOT NULL,
  window_ends  INTEGER NOT NULL
);
CREATE INDEX attempt_counters_window ON attempt_counters(window_ends);
