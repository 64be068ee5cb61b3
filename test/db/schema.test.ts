import { expect, it } from 'vitest';

import { useTestDatabase } from '../helpers/db.js';
import { schemaSnapshot } from '../helpers/schema-snapshot.js';

const db = useTestDatabase();

// The committed snapshot makes every schema change visible in review. After adding a migration,
// refresh it with `npx vitest run test/db/schema.test.ts -u` and commit the diff.
it('matches the committed schema snapshot', async () => {
  await expect(await schemaSnapshot(db.url)).toMatchFileSnapshot('../schema.snapshot.sql');
});
