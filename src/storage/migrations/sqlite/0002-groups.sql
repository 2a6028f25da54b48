-- Access groups (docs/access-groups.md, "Access groups"): the group forest, memberships, invitations (with
-- their chains and acceptances) and the audit log of group events.

-- `path` is the full name (`chat/alice/images`) and never changes, so
-- ancestry is decided by path prefixes instead of walking `parent_id`.
CREATE TABLE groups (
  id         TEXT PRIMARY KEY,                      -- UUID
  parent_id  TEXT REFERENCES groups(id),            -- NULL for a namespace (root)
  name       TEXT NOT NULL,
  path       TEXT NOT NULL,
  created    INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_path ON groups(path);
CREATE INDEX groups_parent ON groups(parent_id);

-- `invitation_id` and `invitations.inviter_id` reference each other: a
-- membership comes through an invitation that another membership created.
CREATE TABLE memberships (
  id             TEXT PRIMARY KEY,                  -- UUID
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  group_id       TEXT NOT NULL REFERENCES groups(id),
  invitation_id  TEXT REFERENCES invitations(id),   -- NULL for owners and direct grants
  until          INTEGER,                           -- access ends at this time; NULL = never
  spots          INTEGER CHECK (spots >= 0),        -- admissions left; NULL = unlimited
  deauthorizes   INTEGER NOT NULL DEFAULT 0 CHECK (deauthorizes BETWEEN 0 AND 2),
  dos            INTEGER CHECK (dos >= 1),          -- degrees of separation left; NULL = unlimited
  active         INTEGER NOT NULL DEFAULT 1,
  created        INTEGER NOT NULL,
  ended          INTEGER                            -- time it stopped being active
);
-- The membership check: one seek per ancestor path, answered from the index alone.
-- Not partial, so that it also serves the user_id foreign key on account deletion.
CREATE INDEX memberships_check ON memberships(user_id, group_id, active, until);
CREATE INDEX memberships_group ON memberships(group_id, active);
CREATE INDEX memberships_invitation ON memberships(invitation_id);

-- One row per group of a link. A link covering several groups is a chain:
-- rows sharing `chain_id` (the id of the first row, the id people share),
-- accepted in `position` order, all or nothing.
CREATE TABLE invitations (
  id                     TEXT PRIMARY KEY,          -- UUID
  chain_id               TEXT NOT NULL,
  position               INTEGER NOT NULL,
  inviter_id             TEXT REFERENCES memberships(id) ON DELETE SET NULL,  -- NULL only once the inviter's account is deleted
  group_id               TEXT NOT NULL REFERENCES groups(id),
  invitees               INTEGER CHECK (invitees >= 0),  -- acceptances left; NULL = unlimited
  acceptance_expiration  INTEGER,
  access_expiration      INTEGER,
  access_duration        INTEGER CHECK (access_duration >= 1),
  plus                   INTEGER CHECK (plus >= 0),
  depletes               INTEGER NOT NULL DEFAULT 0,
  dos                    INTEGER CHECK (dos >= 1),
  deauthorizes           INTEGER NOT NULL DEFAULT 0 CHECK (deauthorizes BETWEEN 0 AND 2),
  redirect               TEXT,
  confirm                INTEGER NOT NULL DEFAULT 0,
  active                 INTEGER NOT NULL DEFAULT 1,
  created                INTEGER NOT NULL,
  CHECK (access_expiration IS NULL OR access_duration IS NULL)
);
CREATE UNIQUE INDEX invitations_chain ON invitations(chain_id, position);
CREATE INDEX invitations_inviter ON invitations(inviter_id, active);
CREATE INDEX invitations_group ON invitations(group_id, active);

-- Who accepted which link: a link is accepted at most once per user, and
-- `/login/access/qr` sends a second device to the latest one's redirect.
CREATE TABLE invitation_acceptances (
  chain_id  TEXT NOT NULL REFERENCES invitations(id),
  user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created   INTEGER NOT NULL,
  PRIMARY KEY (chain_id, user_id)
);
CREATE INDEX invitation_acceptances_user ON invitation_acceptances(user_id, created);

-- The audit log. Ids of people are kept without foreign keys: the log
-- outlives the accounts it mentions.
CREATE TABLE group_events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id       TEXT NOT NULL REFERENCES groups(id),
  kind           TEXT NOT NULL,
  actor_id       TEXT,                              -- NULL when an app or the CLI acted
  subject_id     TEXT,                              -- the user affected, if any
  membership_id  TEXT,
  invitation_id  TEXT,
  detail         TEXT,                              -- JSON object
  created        INTEGER NOT NULL
);
CREATE INDEX group_events_group ON group_events(group_id, id);
