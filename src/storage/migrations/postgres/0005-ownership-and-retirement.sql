-- Owners, deleted accounts, the namespaces of client applications, and expiries pushed to apps.

-- Owner memberships are marked rather than recognised by their limits: a
-- direct grant with the same limits is not an owner, and only owners are
-- protected from delegates (docs/access-groups.md, "Who may remove whom").
ALTER TABLE memberships ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET owner = 1
  WHERE id IN (SELECT membership_id FROM group_events WHERE kind = 'owner_added' AND membership_id IS NOT NULL);

-- A deleted account keeps its row (without name or picture): its ended
-- memberships stay in the invitation chains that limits are walked along,
-- so deleting an account never gives anyone more room to invite.
ALTER TABLE users ADD COLUMN deleted BIGINT;          -- time of deletion, NULL while the account exists

-- The identities of deleted accounts, as SHA-256 of "<provider>:<provider user id>",
-- so that signing up again with one cannot accept the same invitation twice.
CREATE TABLE retired_identities (
  identity_hash  BYTEA NOT NULL,
  user_id        TEXT NOT NULL REFERENCES users(id),
  retired        BIGINT NOT NULL,
  PRIMARY KEY (identity_hash, user_id)
);

-- The namespaces a client application may manage over the realtime channel:
-- those it created (`created`) and those an admin allowed it on (`allowed`,
-- `modular-login app allow`).
CREATE TABLE app_namespaces (
  app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  namespace  TEXT NOT NULL,                     -- the root group's path
  kind       TEXT NOT NULL CHECK (kind IN ('created', 'allowed')),
  created    BIGINT NOT NULL,
  PRIMARY KEY (app_id, namespace)
);
CREATE INDEX app_namespaces_namespace ON app_namespaces(namespace);

-- Expiries are pushed to apps like every other membership change. One row
-- says up to when they have been announced, so that of several processes
-- sweeping, each expiry is announced once.
CREATE TABLE membership_expiry_sweep (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  swept_until  BIGINT NOT NULL
);
INSERT INTO membership_expiry_sweep (id, swept_until) VALUES (1, EXTRACT(EPOCH FROM now())::BIGINT);
CREATE INDEX memberships_until ON memberships(until) WHERE until IS NOT NULL;
