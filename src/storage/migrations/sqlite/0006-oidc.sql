-- The OpenID Provider (docs/openid-provider.md, "OpenID Provider").

-- An app is also an OpenID Connect client once it has a redirect URI. The
-- URI lists are JSON arrays of exact URLs (matched character for character).
ALTER TABLE apps ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE apps ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE apps ADD COLUMN backchannel_logout_uri TEXT;
-- A public client (a single-page or native app) has no secret and must use PKCE.
ALTER TABLE apps ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
-- A group expression (text form) every user must hold to sign in to the app.
ALTER TABLE apps ADD COLUMN require TEXT;
-- 'RS256' or 'EdDSA'.
ALTER TABLE apps ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256';

-- What oidc-provider stores: sessions, grants, tokens, and the short-lived
-- interactions and authorization codes. One row per artefact, its payload
-- as JSON, with the columns its lookups need. `expires` is Unix seconds on
-- the wall clock, like the `exp` oidc-provider writes into payloads; rows
-- past it are never answered and are swept.
CREATE TABLE oidc_models (
  model     TEXT NOT NULL,             -- 'Session', 'Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'Interaction', ...
  id        TEXT NOT NULL,
  payload   TEXT NOT NULL,             -- JSON
  grant_id  TEXT,                      -- tokens and codes: the grant they were issued under
  uid       TEXT,                      -- sessions: the sid of the login session they mirror
  consumed  INTEGER,                   -- codes and refresh tokens: when they were used (single use)
  expires   INTEGER NOT NULL,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant ON oidc_models(grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models(uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_expires ON oidc_models(expires);
