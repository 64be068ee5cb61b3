import {
  officeHours,
  poissonArrivals,
  seededRandom,
} from '../../domain/autoscaling/simulate/sample-demand.js';

const FROM = Date.parse('2026-11-16T00:00:00Z'); // a Monday
const TO = FROM + 14 * 86_400_000;

/** The sample trace of examples/claims-trace.csv (see scripts/example-trace.ts). */
export function exampleTraceCsv(): string {
  const random = seededRandom(2026);
  const attempts = poissonArrivals(random, officeHours(0.3, 0.01, 13, 23), FROM, TO, 0.3);
  const rows = attempts.map((at) => {
    const user = `user-${1 + Math.floor(random() * 40)}`;
    const second = Math.floor(at / 1000) * 1000;
    return `${new Date(second).toISOString().replace('.000Z', 'Z')},${user}`;
  });
  return ['at,user', ...rows].join('\n') + '\n';
}
