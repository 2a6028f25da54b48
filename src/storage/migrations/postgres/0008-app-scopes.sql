-- Apps and their namespaces (docs/protocol.md, "Apps are scoped"): which app granted
-- a membership, which namespaces an app may only read, which apps may open
-- the channel, and which namespace each logged change concerns.

-- How an app came to a namespace: it created it (`created`), claimed it at
-- registration (`claimed`, `app add --namespace`), an admin let it manage
-- it (`allowed`, `app allow`) or only read it (`read`, `app allow --read`).
ALTER TABLE app_namespaces DROP CONSTRAINT app_namespaces_kind_check;
ALTER TABLE app_namespaces ADD CONSTRAINT app_namespaces_kind_check
  CHECK (kind IN ('created', 'claimed', 'allowed', 'read'));

-- The app that granted a membership (a `grant`, or an owner it ensured);
-- NULL for invitations, the CLI and users. No foreign key: what a removed
-- app granted can still be found and ended (`app allow --take-over`).
-- Earlier grants are found in the audit log, which names the app.
ALTER TABLE memberships ADD COLUMN app_id TEXT;
UPDATE memberships SET app_id = granted.app
  FROM (SELECT membership_id, detail::jsonb ->> 'app' AS app FROM group_events
        WHERE kind IN ('member_granted', 'owner_added') AND detail::jsonb ->> 'app' IS NOT NULL) AS granted
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
UPDATE revocations SET namespace = split_part(g.path, '/', 1)
  FROM memberships m JOIN groups g ON g.id = m.group_id
  WHERE revocations.kind = 'membership' AND m.id = revocations.subject;
