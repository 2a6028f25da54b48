-- Access rules of forward-auth (docs/forward-auth.md, "Access rules"):
-- tried in `position` order, the first that matches a request decides.
CREATE TABLE access_rules (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: `rule move 7 --before 3` names rules by it
  position         INTEGER NOT NULL,                    -- 1…n, kept dense by the service
  host             TEXT NOT NULL,                       -- app.example.org, *.example.org or *
  path             TEXT,                                -- a prefix (/app) or a glob (/app/*.php); NULL = every path
  methods          TEXT,                                -- GET,HEAD; NULL = every method
  outcome          TEXT NOT NULL,                       -- 'allow' | 'public' | 'deny'
  expression       TEXT,                                -- the group expression of 'allow' (text form)
  require_passkey  INTEGER NOT NULL DEFAULT 0,
  created          INTEGER NOT NULL
);
CREATE INDEX access_rules_position ON access_rules (position);

-- The audit log of rule changes: who, when, the rule before and after (JSON; NULL when it did not exist).
CREATE TABLE access_rule_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id  INTEGER NOT NULL,
  action   TEXT NOT NULL,                               -- 'added' | 'moved' | 'removed'
  actor    TEXT NOT NULL,                               -- who made it: `cli (user root)`, ...
  source   TEXT,                                        -- the file of `rule import`, if it came from one
  old_rule TEXT,
  new_rule TEXT,
  created  INTEGER NOT NULL
);
