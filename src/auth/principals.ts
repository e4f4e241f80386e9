/**
 * Who a verified identity may act as. A user acts as the owner of its own namespace. A
 * service token, one whose `roles` claim holds storage:tasks or storage:catalog, may act for
 * the namespace named in the X-Storage-Namespace header, with that service's rights only.
 */
import { BadRequest, Forbidden } from '../errors';
import { namespaceFor } from '../protocol/namespace';
import { NAMESPACE_PATTERN } from '../protocol/storageTypes';
import type { Actor } from '../storage/policy';
import type { Caller } from '../storage/access';
import type { Identity } from './tokens';

export const NAMESPACE_HEADER = 'X-Storage-Namespace';

/** Role claim values and the actor each one makes a token. */
export const SERVICE_ROLES: Record<string, Actor> = {
  'storage:tasks': 'tasks',
  'storage:catalog': 'catalog',
};

/** The role that lets a token see and set every namespace's usage and quotas; it grants no data access. */
export const ADMIN_ROLE = 'storage:admin';

export function callerFor(identity: Identity, requestedNamespace: string | undefined): Caller {
  const own = namespaceFor(identity.subject);
  const admin = identity.roles.includes(ADMIN_ROLE);
  if (requestedNamespace === undefined || requestedNamespace === own) {
    return { subject: identity.subject, namespace: own, actors: ['owner'], admin, tokenExpiresAt: identity.expiresAt };
  }
  if (!NAMESPACE_PATTERN.test(requestedNamespace)) {
    throw new BadRequest(`${NAMESPACE_HEADER} must be a namespace: 40 lowercase hex characters`);
  }
  const actors = [...new Set(identity.roles.flatMap((role) => SERVICE_ROLES[role] ?? []))];
  if (actors.length === 0) {
    throw new Forbidden(`Only service tokens (roles ${Object.keys(SERVICE_ROLES).join(', ')}) may act for another namespace`);
  }
  return { subject: identity.subject, namespace: requestedNamespace, actors, admin, tokenExpiresAt: identity.expiresAt };
}
