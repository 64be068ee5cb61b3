/**
 * A demand trace: CSV with a header line that has an `at` column of ISO-8601 instants, one row
 * per claim attempt; other columns are ignored. Rows may come in any order (they are sorted).
 * Every problem names the file and line: `trace.csv:7: "2026-13-01T09:00Z" is not ...`.
 */

export class TraceError extends Error {
  override readonly name = 'TraceError';
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

const EXAMPLE = 'e.g. 2026-11-23T09:15:00Z or 2026-11-23T10:15:00+01:00';

const daysInMonth = (year: number, month: number) =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Milliseconds of an ISO-8601 instant with an explicit offset, or the reason it is not one. */
export function parseInstant(text: string): number | string {
  const match = INSTANT.exec(text);
  if (!match) {
    return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
      ? `${JSON.stringify(text)} has no time zone: add Z or an offset such as +01:00`
      : `${JSON.stringify(text)} is not an ISO-8601 instant (${EXAMPLE})`;
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
    Number(match[i] ?? 0),
  ) as [number, number, number, number, number, number];
  const fraction = Number(`0.${match[7] ?? '0'}`);
  const sign = match[9] === '-' ? -1 : 1;
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  const range =
    month < 1 || month > 12
      ? `month ${month}`
      : day < 1 || day > daysInMonth(year, month)
        ? `day ${day} of ${year}-${String(month).padStart(2, '0')}`
        : hour > 23
          ? `hour ${hour}`
          : minute > 59
            ? `minute ${minute}`
            : second > 59
              ? `second ${second}`
              : offsetHours > 23 || offsetMinutes > 59
                ? `offset ${match[9]}${match[10]}:${match[11]}`
                : null;
  if (range !== null) return `${JSON.stringify(text)} is not a valid instant (${range})`;
  const local = Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(fraction * 1000);
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** The fields of one CSV line (RFC 4180 quoting, no line breaks inside a field); null = bad. */
function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return null;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const comma = line.indexOf(',', i);
      fields.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    i += 1; // the comma
  }
}

/** The attempt instants of a trace, sorted ascending. */
export function parseTrace(text: string, file: string): number[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, message: string): never => {
    throw new TraceError(`${file}:${line}: ${message}`);
  };
  const header = splitCsvLine(lines[0] ?? '');
  if (header === null) return fail(1, 'the header line has an unterminated quoted field');
  const names = header.map((name) => name.trim().toLowerCase());
  const column = names.indexOf('at');
  if (column < 0) {
    const found =
      header.join(',').trim() === '' ? 'the line is empty' : `columns: ${header.join(', ')}`;
    return fail(1, `the header line needs an "at" column of ISO-8601 instants (${found})`);
  }
  const attempts: number[] = [];
  let sorted = true;
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (fields === null) return fail(index + 1, 'unterminated or misplaced quote');
    const value = fields[column]?.trim();
    if (value === undefined) {
      return fail(
        index + 1,
        `has ${fields.length} column${fields.length === 1 ? '' : 's'}; "at" is column ${column + 1}`,
      );
    }
    if (value === '') return fail(index + 1, 'the "at" value is empty');
    const at = parseInstant(value);
    if (typeof at === 'string') return fail(index + 1, at);
    if (attempts.length > 0 && at < (attempts[attempts.length - 1] as number)) sorted = false;
    attempts.push(at);
  }
  if (!sorted) attempts.sort((a, b) => a - b);
  return attempts;
}
