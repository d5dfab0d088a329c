// ESM entry point: the same package as `index.js`.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const pkg = require('./index.js')

export const {
  EntraSyncError,
  InvalidInput,
  InvalidPattern,
  MappingConflict,
  StaleMapping,
  ConsentRequired,
  AuthError,
  Throttled,
  UpstreamError,
  ConfigurationError,
  Unsupported,
  StoreError,
  SandboxError,
  call,
  callAsync,
  functions,
  filterUsers,
  validatePatterns,
  planTenantSync,
  applyPlan,
  previewMappings,
  mergeDiscovery,
  planMappingChanges,
  filterUsersAsync,
  planTenantSyncAsync,
  previewMappingsAsync,
  applyPlanAsync,
  runId,
  SECRET_NAMES,
  GraphProvider,
  CippProvider,
  MemoryStore,
  SqliteStore,
  SyncEngine,
  Sandbox,
  setLogger,
  version,
} = pkg
export default pkg
