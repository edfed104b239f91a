/** The stages of a protected call, in order, composed once per operation (`ProductionSystem`). */
export { chain, SystemStage, type ProtectedCall, type CallStage, type AttemptStage, type Operation } from './stage.js';
export { DeadlineStage } from './deadline.js';
export { ShutdownStage } from './shutdown.js';
export { RateLimitStage } from './rate-limit.js';
export { ResourceStage } from './resources.js';
export { AdmissionStage } from './admission.js';
export { PermitStage, PERMIT_ACQUIRED_EVENT } from './permit.js';
export { RecoveryStage } from './recovery.js';
export { OperationRuntime } from './runtime.js';
