import {
  anyValue,
  arrayOf,
  component,
  dateTime,
  describe,
  enumOf,
  integer,
  nullable,
  object,
  string,
  uuid,
} from '../http/schema.js';
import { JOB_STATUSES } from '../workspaces/api-schemas.js';
import { BUILD_REASONS, TRANSITIONS } from './model.js';
import { AGENT_LIFECYCLE_STATES } from './model.js';

export const JobJson = component(
  'Job',
  object({
    id: uuid,
    created_at: dateTime,
    updated_at: dateTime,
    started_at: nullable(dateTime),
    canceled_at: nullable(dateTime),
    canceled_by: describe(
      nullable(string),
      'who canceled it: the API token name or `cli:<user>`; null = not canceled, or by the controller',
    ),
    completed_at: nullable(dateTime),
    status: enumOf(JOB_STATUSES),
    error: nullable(string),
    error_code: nullable(string),
    organization_id: uuid,
    initiator_id: uuid,
    provisioner: string,
    type: string,
    input: describe(anyValue, "what the provisioner gets (the build's parameters and config)"),
    tags: { type: 'object', description: 'provisioner tags the job needs' },
    worker_id: describe(nullable(uuid), 'the daemon that took it'),
    worker_name: nullable(string),
    build_id: nullable(uuid),
    workspace_id: nullable(uuid),
    build_number: nullable(integer),
    transition: nullable(enumOf(TRANSITIONS)),
    reason: nullable(enumOf(BUILD_REASONS)),
    preset_id: nullable(uuid),
  }),
);

export const JobLogs = object({
  job_id: uuid,
  status: enumOf(JOB_STATUSES),
  logs: arrayOf(
    object({
      id: describe(integer, 'ask for lines after this one with ?after='),
      created_at: dateTime,
      level: enumOf(['trace', 'debug', 'info', 'warn', 'error']),
      stage: string,
      output: string,
    }),
  ),
});

export const AgentJson = object({
  agent: object({
    id: uuid,
    workspace_id: uuid,
    workspace_build_id: uuid,
    name: string,
    lifecycle_state: enumOf(AGENT_LIFECYCLE_STATES),
    started_at: nullable(dateTime),
    ready_at: nullable(dateTime),
    updated_at: dateTime,
  }),
});
