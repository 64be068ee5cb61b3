import type { ProvisionerType, Tags } from './model.js';

/**
 * The tag rule of the queue, the same as AcquireProvisionerJob's SQL and Coder's: a daemon takes a
 * job when it holds every tag of the job; an untagged job is taken only by an untagged daemon.
 */
export function tagsMatch(jobTags: Tags, daemonTags: Tags): boolean {
  const jobKeys = Object.keys(jobTags);
  if (jobKeys.length === 0) return Object.keys(daemonTags).length === 0;
  return jobKeys.every((key) => Object.hasOwn(daemonTags, key) && daemonTags[key] === jobTags[key]);
}

/**
 * A canonical key for a set of provisioner types and tags (order-insensitive). NUL separates the
 * parts; tags are validated not to contain it (parseTags).
 */
export function domainKey(provisioners: readonly ProvisionerType[], tags: Tags): string {
  const types = [...new Set(provisioners)].sort().join('\0');
  const pairs = Object.keys(tags)
    .sort()
    .map((key) => `${key}\0${tags[key]}`)
    .join('\0');
  return `${types}\0\0${pairs}`;
}

export function formatTags(tags: Tags): string {
  const pairs = Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key]}`);
  return pairs.length === 0 ? '(untagged)' : pairs.join(',');
}
