/** The demo's template: one preset keeping 2 prebuilds warm, built by the in-process echo daemon. */
export const DEMO_TEMPLATE = 'demo';
export const DEMO_PRESET = 'small';
export const DEMO_INSTANCES = 2;
export const DEMO_USER = 'demo-user';

export const DEMO_TEMPLATE_YAML = `name: ${DEMO_TEMPLATE}
provisioner: echo
lifecycle:
  default_ttl: 1h
presets:
  - name: ${DEMO_PRESET}
    default: true
    parameters: { cpus: '2' }
    prebuilds:
      instances: ${DEMO_INSTANCES}
`;
