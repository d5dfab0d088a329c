// Deliberate mistakes: `tsc --noEmit --strict` must reject every marked line.
import * as es from 'entra-sync'
import type { Action, EntraUser } from 'entra-sync'

// A misspelt field.
const user: EntraUser = { entraObjectId: 'a', acountEnabled: true }

// A wrong action kind.
const action: Action = { kind: 'delete', entraTenantId: 't', entraObjectId: 'o', clientId: 'c', idempotencyKey: 'k', contactId: 'x', reason: 'no_match' }

// A field that only another kind has.
function patchOf(a: Action): string {
  return a.kind === 'link' ? Object.keys(a.patch).join() : ''
}

// A wrong function name for `call`.
es.call('plan_everything', {})

// Clients given to a preview of an index: they belong to the index.
new es.ClientIndex([]).preview({ tenants: [], clients: [] })

console.log(user, action, patchOf)
