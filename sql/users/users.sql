-- name: InsertUser
INSERT INTO users (username, email, roles, created_at, updated_at)
VALUES (:username::text, :email::text, :roles::text[], :now::timestamptz, :now::timestamptz)
RETURNING id, username, email, status, roles, is_system, created_at, updated_at;

-- name: ListUsers
-- Every user but the system user, oldest first.
SELECT id, username, email, status, roles, is_system, created_at, updated_at
FROM users
WHERE NOT is_system
ORDER BY created_at, username;

-- name: FindUser
-- A user by id or by username (case-insensitive).
SELECT id, username, email, status, roles, is_system, created_at, updated_at
FROM users
WHERE (id::text = :ref::text OR lower(username) = lower(:ref::text));

-- name: SetUserStatus
UPDATE users
SET status = :status::user_status, updated_at = :now::timestamptz
WHERE id = :id::uuid AND NOT is_system
RETURNING id, username, email, status, roles, is_system, created_at, updated_at;
