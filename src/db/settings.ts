import { z } from 'zod';

import { type Db, defineQuery } from './sql-files.js';

const SettingRow = z.object({ key: z.string(), value: z.unknown(), updated_at: z.date() });

const getSetting = defineQuery<{ key: string }, typeof SettingRow>('GetSetting', SettingRow);
const putSetting = defineQuery<
  { key: string; value: { [key: string]: unknown }; now: Date },
  typeof SettingRow
>('PutSetting', SettingRow);

/** Reads a JSON setting and validates it; a missing or malformed value gives `fallback`. */
export async function readSetting<T>(
  db: Db,
  key: string,
  schema: z.ZodType<T>,
  fallback: T,
): Promise<T> {
  const row = await getSetting.maybeOne(db, { key });
  if (!row) return fallback;
  const parsed = schema.safeParse(row.value);
  return parsed.success ? parsed.data : fallback;
}

export async function writeSetting(
  db: Db,
  key: string,
  value: { [key: string]: unknown },
  now: Date,
): Promise<void> {
  await putSetting.one(db, { key, value, now });
}
