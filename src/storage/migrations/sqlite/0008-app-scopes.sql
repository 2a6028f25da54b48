-- Apps and their namespaces (docs/protocol.md, "Apps are scoped"): which app granted
-- a membership, which namespaces an app may only read, which apps may open
-- the channel, and which namespace each logged change concerns.

-- How an app came to a namespace: it created it (`created`), claimed it at
-- registration (`claimed`, `app add --namespace`), an admin let it manage
-- it (`allowed`, `app allow`) or only read it (`read`, `app allow --read`).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE app_namespaces_0008 (
  app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  namespace  TEXT NOT NULL,                     -- the root group's path
  kind       TEXT NOT NULL CHECK (kind IN ('created', 'claimed', 'allowed', 'read')),
  created    INTEGER NOT NULL,
  PRIMARY KEY (app_id, namespace)
);
INSERT INTO app_namespaces_0008 (app_id, namespace, kind, created)
  SELECT app_id, namespace, kind, created FROM app_namespaces;
DROP TABLE app_namespaces;
ALTER TABLE app_namespaces_0008 RENAME TO app_namespaces;
CREATE INDEX app_namespaces_namespace ON app_namespaces(namespace);

-- The app that granted a membership (a `grant`, or an owner it ensured);
-- NULL for invitations, the CLI and users. No foreign key: what a removed
-- app granted can still be found and ended (`app allow --take-over`).
-- Earlier grants are found in the audit log, which names the app.
ALTER TABLE memberships ADD COLUMN app_id TEXT;
UPDATE memberships SET app_id = granted.app
  FROM (SELECT membership_id, json_extract(detail, '$.app') AS app FROM group_events
        WHERE kind IN ('member_granted', 'owner_added') AND json_extract(detail, '$.app') IS NOT NULL) AS granted
  WHERE granted.membership_id = memberships.id;
CREATE INDEX memberships_app ON memberships(app_id) WHERE app_id IS NOT NULL;

-- An app that is an OpenID Connect client opens the channel only when
-- registered with `--channel`; an app without a redirect URI always may.
ALTER TABLE apps ADD COLUMN channel INTEGER NOT NULL DEFAULT 1;
UPDATE apps SET channel = 0 WHERE redirect_uris <> '[]';

-- What a logged change concerns, so that it reaches only the apps that
-- manage or may read the namespace: for a `membership` entry, the
-- membership's namespace; for a `scope` entry (subject = the app, user_id
-- = ''), the namespace whose access changed, and in `access` what the app
-- may do there now ('manage', 'read', or NULL for nothing).
ALTER TABLE revocations ADD COLUMN namespace TEXT;
ALTER TABLE revocations ADD COLUMN access TEXT;
UPDATE revocations SET namespace = changed.namespace
  FROM (SELECT m.id AS membership_id, substr(g.path, 1, instr(g.path || '/', '/') - 1) AS namespace
        FROM memberships m JOIN groups g ON g.id = m.group_id) AS changed
  WHERE revocations.kind = 'membership' AND changed.membership_id = revocations.subject;
