export { allows, disabledReason, CapabilityBatcher, type Capability } from './capabilities';
export { CapabilitiesProvider, useCapabilities, Guarded, type CapabilitiesState, type GuardProps } from './acl';
