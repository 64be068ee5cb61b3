import pg from 'pg';

/**
 * A normalised, server-version-independent text of the public schema, built from the catalogs:
 * enums, tables with columns, constraints, indexes, views, functions and triggers, each sorted
 * by name. Whitespace in view and function bodies is collapsed so formatting differences between
 * PostgreSQL majors do not show.
 */
export async function schemaSnapshot(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = async (text: string) => (await client.query<Record<string, string>>(text)).rows;
  const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
  const out: string[] = [];
  try {
    for (const row of await rows(`
      SELECT t.typname AS name, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
      GROUP BY t.typname ORDER BY t.typname`)) {
      out.push(`ENUM ${row.name} (${row.labels})`);
    }
    const columns = await rows(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull::text AS not_null, a.attgenerated AS generated, a.attidentity AS identity,
             pg_get_expr(d.adbin, d.adrelid) AS expr
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      ORDER BY c.relname, a.attnum`);
    let table = '';
    for (const col of columns) {
      if (col.table !== table) {
        table = col.table as string;
        out.push(`TABLE ${table}`);
      }
      const parts = [`  ${col.column} ${col.type}`];
      if (col.not_null === 'true') parts.push('NOT NULL');
      if (col.identity) parts.push(`IDENTITY ${col.identity}`);
      if (col.generated === 's') parts.push(`GENERATED ${squash(col.expr ?? '')}`);
      else if (col.expr) parts.push(`DEFAULT ${squash(col.expr)}`);
      out.push(parts.join(' '));
    }
    for (const row of await rows(`
      SELECT c.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS def
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
      ORDER BY c.relname, con.conname`)) {
      out.push(`CONSTRAINT ${row.table}.${row.name} ${squash(row.def ?? '')}`);
    }
    for (const row of await rows(`
      SELECT indexname AS name, indexdef AS def FROM pg_indexes
      WHERE schemaname = 'public' ORDER BY tablename, indexname`)) {
      out.push(`INDEX ${row.name} ${squash((row.def ?? '').replace(/ USING btree/, ''))}`);
    }
    for (const row of await rows(`
      SELECT c.relname AS name, pg_get_viewdef(c.oid, true) AS def
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'v' ORDER BY c.relname`)) {
      // PostgreSQL 16+ prints single-table views without column qualifiers and 15 with them;
      // the qualifiers are dropped everywhere so the text is the same on both.
      const def = squash(row.def ?? '').replace(/\b[a-z_][a-z0-9_]*\.(?=[a-z_"])/g, '');
      out.push(`VIEW ${row.name} AS ${def}`);
    }
    for (const row of await rows(`
      SELECT p.proname AS name, pg_get_functiondef(p.oid) AS def
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' ORDER BY p.proname`)) {
      out.push(`FUNCTION ${row.name} ${squash(row.def ?? '')}`);
    }
    for (const row of await rows(`
      SELECT c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS def
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY c.relname, t.tgname`)) {
      out.push(`TRIGGER ${row.table}.${row.name} ${squash(row.def ?? '')}`);
    }
  } finally {
    await client.end();
  }
  return out.join('\n') + '\n';
}
