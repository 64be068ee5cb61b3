-- Scoped API tokens (docs/security.md) and who did what with them.
-- A token is stored only as the SHA-256 of its text: the text is shown once, at creation.

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  role text NOT NULL CHECK (role IN ('admin', 'template-admin', 'client', 'read')),
  -- Hex SHA-256 of the token text.
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  -- Written at most once a minute per token and process (see src/tokens/verifier.ts).
  last_used_at timestamptz,
  -- NULL = never expires.
  expires_at timestamptz,
  revoked_at timestamptz
);

-- A name names one live token; revoked ones keep theirs for the record.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- The principal (token name) that pushed a version, canceled a job; NULL = before tokens or the CLI.
ALTER TABLE template_versions ADD COLUMN pushed_by text;
ALTER TABLE provisioner_jobs ADD COLUMN canceled_by text;
