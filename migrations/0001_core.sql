-- Organizations, users (with the prebuilds system user) and controller settings.

CREATE TYPE user_status AS ENUM ('active', 'suspended', 'dormant');

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_name_key UNIQUE (name)
);

INSERT INTO organizations (name) VALUES ('default');

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  email text NOT NULL DEFAULT '',
  status user_status NOT NULL DEFAULT 'active',
  is_system boolean NOT NULL DEFAULT false,
  -- Roles the controller knows: 'template-admin' receives template-level notifications.
  roles text[] NOT NULL DEFAULT '{}',
  -- Daily cron (optionally CRON_TZ=...) of the user's quiet hours; '' = the deployment default.
  quiet_hours_schedule text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- The owner of every prebuilt workspace (the same id as Coder's).
INSERT INTO users (id, username, email, is_system)
VALUES ('c42fdf75-3097-471c-8c33-fb52454d81c0', 'prebuilds', 'prebuilds@system', true);

-- Controller-wide settings as JSON values, e.g. key 'prebuilds' = {"reconciliation_paused": false}.
CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO settings (key, value) VALUES ('prebuilds', '{"reconciliation_paused": false}');
