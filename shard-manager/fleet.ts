/** Fleet-wide settings shared by the manager, replicas and `shardctl`. */

/** The namespace holding the fleet's leases, unless told otherwise. */
export const DEFAULT_FLEET_NAMESPACE = 'flotilla-system';
