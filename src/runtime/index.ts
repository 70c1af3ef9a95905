export { ModelSession, type FloatTensor, type TensorInfo } from './session.js';
export { resolveRuntimeOptions, type ExecutionProvider, type ResolvedRuntimeOptions, type RuntimeOptions } from './options.js';
export type { BackendSession, BackendSessionOptions, RuntimeBackend } from './backend.js';
