export { simulate } from './engine.js';
export { seriesStep } from './accounting.js';
export type { SeriesPoint, SimulationDay, SimulationInput, SimulationResult } from './types.js';
export { officeHours, poissonArrivals, seededRandom } from './sample-demand.js';
