import { CHANNELS } from '../db/channels.js';
import type { Listener } from '../db/listener.js';
import type { Db } from '../db/sql-files.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { tryAcquireJob } from './acquire.js';
import { Acquiree } from './acquiree.js';
import { type JobRow, PROVISIONER_TYPES, type ProvisionerType, type Tags } from './model.js';
import { sleep } from './sleep.js';
import { domainKey, tagsMatch } from './tags.js';

export { tryAcquireJob } from './acquire.js';

export interface AcquirerOptions {
  readonly db: Db;
  /** Job postings arrive here; when undefined (or disconnected) only the backup poll wakes domains. */
  readonly listener?: Listener;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Backup poll per domain (jobPollInterval, default 30 s). */
  readonly pollIntervalMs: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface AcquireRequest {
  /** The daemon's id (provisioner_daemons.id), recorded as the job's worker_id. */
  readonly workerId: string;
  readonly provisioners: readonly ProvisionerType[];
  readonly tags: Tags;
  readonly signal: AbortSignal;
}

/** Counters for tests, benchmarks and logs. */
export interface AcquirerStats {
  queries: number;
  acquired: number;
  errors: number;
  postings: number;
}

/** Acquirees with the same provisioner types and tags: only one of them queries at a time. */
interface Domain {
  readonly key: string;
  readonly provisioners: readonly ProvisionerType[];
  readonly tags: Tags;
  readonly acquirees: Set<Acquiree>;
  readonly poll: NodeJS.Timeout;
}

/**
 * Hands pending jobs to daemons while keeping the database quiet (seed 003): callers wanting the
 * same provisioner types and tags form a domain, and only one caller per domain queries at a
 * time; when the query finds nothing the whole domain waits for a job posting (NOTIFY) that it
 * could take, which wakes exactly one matching domain; every domain also polls once per
 * `pollIntervalMs` in case a posting was lost; database errors are retried with exponential
 * backoff (capped at 10 s) by the querying caller while the rest of its domain keeps waiting.
 */
export class Acquirer {
  readonly stats: AcquirerStats = { queries: 0, acquired: 0, errors: 0, postings: 0 };
  readonly #options: AcquirerOptions;
  readonly #log: Logger;
  readonly #domains = new Map<string, Domain>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: AcquirerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'acquirer' });
    if (options.listener) {
      this.#unsubscribe.push(
        options.listener.on(CHANNELS.jobPosted, (payload) => this.#onPosting(payload)),
        options.listener.onReconnect(() => {
          // Postings sent while we were disconnected are lost: every domain looks again.
          this.#log.debug('listener reconnected: waking every domain');
          for (const domain of this.#domains.values()) this.#clearOrPend(domain);
        }),
      );
    }
  }

  /** Stops listening. Callers still waiting are released by aborting their signals. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  /** Number of domains with waiting callers (for tests). */
  get domainCount(): number {
    return this.#domains.size;
  }

  /**
   * Waits until a job is acquired for this caller and returns it, marked started by `workerId`.
   * Rejects only when `signal` is aborted while waiting (a query in flight is let finish: a job it
   * acquired is returned, never dropped).
   */
  async acquire(request: AcquireRequest): Promise<JobRow> {
    const key = domainKey(request.provisioners, request.tags);
    const me = new Acquiree();
    let failures = 0;
    try {
      for (;;) {
        this.#want(key, request, me);
        await me.wait(request.signal);
        let job: JobRow | null;
        for (;;) {
          try {
            this.stats.queries += 1;
            job = await tryAcquireJob(this.#options.db, {
              now: this.#options.clock.now(),
              workerId: request.workerId,
              provisioners: request.provisioners,
              tags: request.tags,
            });
            failures = 0;
            break;
          } catch (error) {
            failures += 1;
            this.stats.errors += 1;
            const delay = this.#backoff(failures);
            this.#log.warn(
              { err: error, attempt: failures, retryInMs: delay },
              'job acquisition query failed; retrying',
            );
            // Still holding the domain's turn: the others wait instead of hammering the database.
            await sleep(delay, request.signal);
          }
        }
        if (job) {
          this.stats.acquired += 1;
          this.#done(key, me);
          return job;
        }
      }
    } catch (error) {
      this.#cancel(key, me);
      throw error;
    }
  }

  #backoff(failures: number): number {
    const min = this.#options.minBackoffMs ?? 100;
    const max = this.#options.maxBackoffMs ?? 10_000;
    const ceiling = Math.min(max, min * 2 ** (failures - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  #want(key: string, request: AcquireRequest, me: Acquiree): void {
    let domain = this.#domains.get(key);
    let cleared = false;
    if (!domain) {
      const created: Domain = {
        key,
        provisioners: [...request.provisioners],
        tags: { ...request.tags },
        acquirees: new Set(),
        poll: setInterval(() => {
          if (created.acquirees.size > 0) this.#clearOrPend(created);
        }, this.#options.pollIntervalMs),
      };
      created.poll.unref();
      domain = created;
      this.#domains.set(key, domain);
      // A new domain has not looked yet: its first caller queries at once.
      cleared = true;
    }
    domain.acquirees.add(me);
    // A posting arrived while this caller was querying: look again before waiting.
    if (me.pending) {
      cleared = true;
      me.pending = false;
    }
    me.inProgress = cleared;
    if (cleared) me.grant();
  }

  /** The caller got a job (or gave up): it leaves, and another caller of the domain gets a turn. */
  #done(key: string, me: Acquiree): void {
    const domain = this.#domains.get(key);
    if (!domain || !domain.acquirees.delete(me)) return;
    me.inProgress = false;
    if (!this.#removeIfEmpty(domain)) this.#passTurn(domain);
  }

  #cancel(key: string, me: Acquiree): void {
    const domain = this.#domains.get(key);
    if (!domain || !domain.acquirees.delete(me)) return;
    const hadTurn = me.inProgress;
    me.inProgress = false;
    if (!this.#removeIfEmpty(domain) && hadTurn) this.#passTurn(domain);
  }

  #removeIfEmpty(domain: Domain): boolean {
    if (domain.acquirees.size > 0) return false;
    clearInterval(domain.poll);
    this.#domains.delete(domain.key);
    return true;
  }

  #passTurn(domain: Domain): void {
    for (const other of domain.acquirees) {
      if (other.inProgress) return;
    }
    const next = domain.acquirees.values().next().value;
    if (next) {
      next.inProgress = true;
      next.grant();
    }
  }

  /** Wake one caller of the domain, or, if one is querying, make it look again afterwards. */
  #clearOrPend(domain: Domain): void {
    let nominee: Acquiree | undefined;
    for (const acquiree of domain.acquirees) {
      nominee ??= acquiree;
      if (acquiree.inProgress) {
        nominee = acquiree;
        break;
      }
    }
    if (!nominee) return;
    if (nominee.inProgress) {
      nominee.pending = true;
      return;
    }
    nominee.inProgress = true;
    nominee.grant();
  }

  #onPosting(payload: string): void {
    this.stats.postings += 1;
    let posting: { provisioner?: unknown; tags?: unknown };
    try {
      posting = JSON.parse(payload) as typeof posting;
    } catch {
      this.#log.warn({ payload }, 'unreadable job posting; waking every domain');
      for (const domain of this.#domains.values()) this.#clearOrPend(domain);
      return;
    }
    const provisioner = posting.provisioner as ProvisionerType;
    const tags = isTags(posting.tags) ? posting.tags : {};
    if (!PROVISIONER_TYPES.includes(provisioner)) return;
    for (const domain of this.#domains.values()) {
      // The same rule as the SQL, so a posting never wakes a domain that could not take the job.
      if (domain.provisioners.includes(provisioner) && tagsMatch(tags, domain.tags)) {
        // One new job: one domain is enough.
        this.#clearOrPend(domain);
        return;
      }
    }
  }
}

function isTags(value: unknown): value is Tags {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
