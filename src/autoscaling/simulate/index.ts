/**
 * `prebuilds simulate` at the edge: demand and policy sources, running the pure simulator, and
 * its outputs (text, the exact JSON, an SVG chart).
 */
export { policyConfigJson, simulationJson, simulationJsonText, simulationText } from './output.js';
export { runSimulations, type SimulateOptions, type SimulationReport } from './run.js';
export type { Demand, DemandSource, PolicySource, PresetPolicy } from './sources.js';
export { presetPolicy, SourceError, traceDemand } from './sources.js';
export { simulationSvg } from './svg.js';
export { parseInstant, parseTrace, TraceError } from './trace.js';
