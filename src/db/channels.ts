/**
 * LISTEN/NOTIFY channels. A notification is a wake-up hint delivered at COMMIT of the transaction
 * that sent it (so `SELECT pg_notify(...)` inside a transaction means "after commit"); every
 * listener also polls, because notifications are lost while its connection is down.
 * Payloads stay small JSON objects.
 */
export const CHANNELS = {
  /** A provisioner job was inserted: `{"provisioner": "echo", "tags": {...}}`. */
  jobPosted: 'prebuild_controller_job_posted',
  /** A provisioner job finished or was canceled: `{"job_id", "workspace_id", "preset_id"?}`. */
  jobCompleted: 'prebuild_controller_job_completed',
  /** Something the reconciler should react to now: `{"reason", "template_id"?, "preset_id"?}`. */
  reconcile: 'prebuild_controller_reconcile',
  /** A lifecycle job is due or a workspace schedule changed: `{"workspace_id"?}`. */
  lifecycle: 'prebuild_controller_lifecycle',
  /** A notification message was enqueued. */
  notification: 'prebuild_controller_notification',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
