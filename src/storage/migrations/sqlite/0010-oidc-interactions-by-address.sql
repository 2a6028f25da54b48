-- Each address may hold a bounded number of OpenID Connect interactions
-- (sign-ins under way) at once (docs/security.md, "Authorization requests"): they are counted by the
-- address whose authorization request stored them.
ALTER TABLE oidc_models ADD COLUMN ip TEXT;
CREATE INDEX oidc_models_ip ON oidc_models(ip, model, expires) WHERE ip IS NOT NULL;
