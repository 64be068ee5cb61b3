import type { Logger } from '../log/logger.js';

/**
 * Resolves on the first SIGTERM or SIGINT so the caller can drain and stop; a second signal
 * exits at once (130), for an operator who does not want to wait.
 *
 * Until then the process stays up whatever else happens: the loops' timers are unref'd and, with
 * every database connection gone (a failover, pg_terminate_backend), nothing else would keep
 * Node's event loop alive while the listener and the pool reconnect. Node would then end the
 * process silently (exit 13, a pending top-level await), taking the build capacity with it.
 */
export function waitForShutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      logger.info({ signal }, 'signal received: shutting down');
      clearInterval(keepAlive);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
