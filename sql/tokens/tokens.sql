-- name: InsertApiToken
INSERT INTO api_tokens (name, role, token_hash, created_by, created_at, expires_at)
VALUES (
  :name::text, :role::text, :tokenHash::text, :createdBy::text, :now::timestamptz,
  :expiresAt::timestamptz
)
RETURNING id, name, role, created_by, created_at, last_used_at, expires_at, revoked_at;

-- name: ListApiTokens
-- Every token, live ones first, then by name; never the hash.
SELECT id, name, role, created_by, created_at, last_used_at, expires_at, revoked_at
FROM api_tokens
ORDER BY revoked_at IS NOT NULL, name, created_at;

-- name: FindApiTokenByHash
SELECT id, name, role, created_by, created_at, last_used_at, expires_at, revoked_at
FROM api_tokens
WHERE token_hash = :tokenHash::text;

-- name: RevokeApiToken
-- Revokes the live token with this name or id; no row when there is none.
UPDATE api_tokens
SET revoked_at = :now::timestamptz
WHERE revoked_at IS NULL AND (name = :ref::text OR id::text = :ref::text)
RETURNING id, name, role, created_by, created_at, last_used_at, expires_at, revoked_at;

-- name: TouchApiToken
-- Records a use; never moves last_used_at backwards.
UPDATE api_tokens
SET last_used_at = :now::timestamptz
WHERE id = :id::uuid AND (last_used_at IS NULL OR last_used_at < :now::timestamptz);
