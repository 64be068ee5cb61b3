/**
 * A long-running part of the controller (reconciler, daemons, executors, dispatcher).
 * `start` returns once the component is running; `stop` returns once it has drained.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking new work and finish (or interrupt) running work before `deadline`. */
  stop(deadline: Date): Promise<void>;
}
