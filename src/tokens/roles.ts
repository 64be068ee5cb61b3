/**
 * API roles, least to most powerful. `read` may call every GET; `client` also manages users and
 * workspaces (the IDE portal, a CI job creating workspaces); `template-admin` also pushes
 * templates and steers prebuild pools and jobs; `admin` may do everything.
 */
export const ROLES = ['read', 'client', 'template-admin', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/**
 * Whether a principal with `held` may call a route that needs `needed`: admin may do everything,
 * every role may read, and otherwise the role must match (client and template-admin are
 * separate duties: neither includes the other).
 */
export function roleAllows(held: Role, needed: Role): boolean {
  return held === 'admin' || needed === 'read' || held === needed;
}

/** The roles that may call a route needing `needed`, for error messages and the docs table. */
export function rolesAllowed(needed: Role): Role[] {
  return ROLES.filter((role) => roleAllows(role, needed));
}

/** Who is calling: the token's name and role. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  /**
   * `bootstrap` = PREBUILD_CONTROLLER_API_TOKEN, `token` = a token from the database,
   * `loopback` = no token configured and the peer is on the loopback interface.
   */
  readonly kind: 'bootstrap' | 'token' | 'loopback';
}

/** The principal of PREBUILD_CONTROLLER_API_TOKEN (the name recorded for its actions). */
export const BOOTSTRAP_PRINCIPAL: Principal = {
  name: 'bootstrap',
  role: 'admin',
  kind: 'bootstrap',
};
/** The principal of a loopback request to an API without a configured token. */
export const LOOPBACK_PRINCIPAL: Principal = { name: 'loopback', role: 'admin', kind: 'loopback' };
