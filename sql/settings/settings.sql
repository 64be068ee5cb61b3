-- name: GetSetting
-- One controller setting (a JSON value), or no row when it was never set.
SELECT key, value, updated_at
FROM settings
WHERE key = :key::text;

-- name: PutSetting
-- Stores a setting; returns the stored row.
INSERT INTO settings (key, value, updated_at)
VALUES (:key::text, :value::jsonb, :now::timestamptz)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
RETURNING key, value, updated_at;
