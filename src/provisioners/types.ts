import type {
  AgentLifecycleState,
  BuildJobInput,
  JobLogLevel,
  ProvisionerType,
} from '../jobs/model.js';

/** An agent a build declares: it is recorded in workspace_agents for a successful start build. */
export interface AgentDeclaration {
  readonly name: string;
  readonly lifecycle_state: AgentLifecycleState;
}

export interface ProvisionLogLine {
  readonly level: JobLogLevel;
  readonly stage: string;
  readonly output: string;
}

export interface ProvisionRequest {
  readonly jobId: string;
  readonly input: BuildJobInput;
  /**
   * Aborted when the job is canceled, the daemon shuts down, or the job was taken away (reaped).
   * The provisioner stops its work and returns promptly; the daemon decides the outcome.
   */
  readonly signal: AbortSignal;
  readonly log: (line: ProvisionLogLine) => void;
}

export type ProvisionResult =
  | {
      readonly ok: true;
      /** Agents of a start build (ignored for stop and delete). */
      readonly agents: readonly AgentDeclaration[];
      /** Agents recorded "starting" become "ready" this long after completion (echo only). */
      readonly agentsReadyAfterMs?: number;
    }
  | { readonly ok: false; readonly error: string; readonly errorCode: string };

/**
 * A way to build workspaces. The daemon hands it one job at a time (several concurrently);
 * it must never throw for a bad job (return ok: false with a clear error) and must honour `signal`.
 */
export interface Provisioner {
  readonly type: ProvisionerType;
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
}

/** The default agent of a successful start build when the provisioner declares none. */
export const DEFAULT_AGENTS: readonly AgentDeclaration[] = [
  { name: 'main', lifecycle_state: 'ready' },
];
