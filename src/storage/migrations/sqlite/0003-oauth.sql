-- OAuth sign-ins under way: one row per authorization request, keyed by the
-- `state` sent to the provider. The row, not a cookie, carries what the
-- callback needs, so a browser cookie never grows with the flows it starts.
-- A row is deleted when its callback arrives (single use) or once stale.
CREATE TABLE oauth_flows (
  state      TEXT PRIMARY KEY,
  browser    TEXT NOT NULL,            -- SHA-256 of the flow cookie of the browser that started it
  provider   TEXT NOT NULL,            -- 'google', 'oidc:<name>', ...
  verifier   TEXT NOT NULL,            -- PKCE code_verifier
  nonce      TEXT NOT NULL,            -- OpenID Connect nonce, echoed in the ID token
  next       TEXT NOT NULL,            -- where the browser goes afterwards (validated again on return)
  link_user  TEXT REFERENCES users(id) ON DELETE CASCADE,  -- set when a signed-in user links this provider
  expires    INTEGER NOT NULL
);
CREATE INDEX oauth_flows_expires ON oauth_flows(expires);
