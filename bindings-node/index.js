'use strict'
// entra-sync for Node: the package's public surface over the native addon (`native.js`).
//
// This file is glue only: it writes inputs as JSON text and reads results back (V8's JSON is far
// faster than building objects through N-API), rebuilds the addon's tagged errors as
// `EntraSyncError` subclasses, turns an `AbortSignal` into the engine's cancel token and adapts
// the host's logger. Every decision is made by the Rust core.

const native = require('./native.js')

// ---------------------------------------------------------------------------------------------
// Errors

/** Base class of every error the package throws; `code` is the stable machine-readable code. */
class EntraSyncError extends Error {
  constructor(message, code = 'internal', details = null, options = undefined) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

// One class per kind of failure a caller handles differently (see docs/errors.md).
class InvalidInput extends EntraSyncError {}
class InvalidPattern extends EntraSyncError {}
class MappingConflict extends EntraSyncError {}
class StaleMapping extends EntraSyncError {}
class ConsentRequired extends EntraSyncError {}
class AuthError extends EntraSyncError {}
class Throttled extends EntraSyncError {}
class UpstreamError extends EntraSyncError {}
class ConfigurationError extends EntraSyncError {}
class Unsupported extends EntraSyncError {}
class StoreError extends EntraSyncError {}
class SandboxError extends EntraSyncError {}

/** The class of each Rust `ErrorKind`. */
const CLASS_OF_KIND = Object.freeze({
  invalid_input: InvalidInput,
  invalid_pattern: InvalidPattern,
  mapping_conflict: MappingConflict,
  stale_mapping: StaleMapping,
  consent: ConsentRequired,
  auth: AuthError,
  throttled: Throttled,
  upstream: UpstreamError,
  configuration: ConfigurationError,
  unsupported: Unsupported,
  store: StoreError,
  sandbox: SandboxError,
  internal: EntraSyncError,
})

// The table must name every kind the Rust core has, and nothing else.
{
  const kinds = native.errorKinds()
  const missing = kinds.filter((k) => !(k in CLASS_OF_KIND))
  const extra = Object.keys(CLASS_OF_KIND).filter((k) => !kinds.includes(k))
  if (missing.length || extra.length) {
    throw new Error(`entra-sync: error classes out of step with the addon (missing ${missing}, extra ${extra})`)
  }
}

const TAG = '\u0001entra-sync\u0001'

function fromEnvelope(envelope) {
  const Class = CLASS_OF_KIND[envelope.kind] || EntraSyncError
  const options = envelope.cause ? { cause: fromEnvelope(envelope.cause) } : undefined
  return new Class(envelope.message, envelope.code, envelope.details ?? null, options)
}

/** The N-API statuses of an argument the addon could not convert (a number where a string is
 * expected, ...): the caller's input, not a fault of the library. */
const ARGUMENT_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
])

/** The package error for anything the addon threw. */
function fromNative(err) {
  if (err instanceof EntraSyncError) return err
  const message = err && typeof err.message === 'string' ? err.message : String(err)
  const at = message.indexOf(TAG)
  if (at >= 0) {
    try {
      return fromEnvelope(JSON.parse(message.slice(at + TAG.length)))
    } catch (_) {
      // fall through: a malformed envelope is an internal error
    }
  }
  if (err instanceof TypeError || ARGUMENT_STATUSES.has(err && err.code)) return new InvalidInput(message, 'invalid_input')
  return new EntraSyncError(message, 'internal')
}

function guard(f) {
  try {
    return f()
  } catch (err) {
    throw fromNative(err)
  }
}

async function guardAsync(f) {
  try {
    return await f()
  } catch (err) {
    throw fromNative(err)
  }
}

// ---------------------------------------------------------------------------------------------
// JSON crossing

/** How many elements of a long array are written per piece: a JavaScript string cannot exceed
 * about 512 MiB, which a million users in one piece would. */
const ELEMENTS_PER_PIECE = 50_000

/** Writes an input as pieces of JSON text that join into one document: the long arrays of a
 * top-level object are written a slice at a time. */
function toJsonPieces(value, name = 'input') {
  const pieces = []
  for (const piece of jsonPieces(value, name, ELEMENTS_PER_PIECE)) pieces.push(piece)
  return pieces
}

/** Like `toJsonPieces`, in smaller slices with a turn of the event loop between two of them, so
 * writing a large input never blocks a server for long. */
async function toJsonPiecesAsync(value, name = 'input') {
  const pieces = []
  let written = 0
  for (const piece of jsonPieces(value, name, ELEMENTS_PER_PIECE_ASYNC)) {
    pieces.push(piece)
    written += piece.length
    if (written >= CHARS_PER_TURN) {
      written = 0
      await nextTurn()
    }
  }
  return pieces
}

/** How many elements of a long array an async call writes per piece. */
const ELEMENTS_PER_PIECE_ASYNC = 2_000
/** How much JSON text an async call writes or reads between two turns of the event loop. */
const CHARS_PER_TURN = 1_000_000
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

const plainObject = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.toJSON !== 'function'

/** The top-level entries of a plain object as JSON: `{entry}` for a whole `"key":value`,
 * `{key, slice}` for each slice of a long array (a JSON array of up to `perPiece` elements);
 * with `sliced`, only the arrays under those keys are written in slices. */
function* entryPieces(value, name, perPiece, sliced = null) {
  for (const key of Object.keys(value)) {
    const v = value[key]
    if (Array.isArray(v) && v.length > perPiece && (sliced === null || sliced.has(key))) {
      for (let i = 0; i < v.length; i += perPiece) yield { key, slice: toJson(v.slice(i, i + perPiece), name) }
    } else {
      const text = JSON.stringify(v)
      if (text === undefined) continue // JSON.stringify leaves such keys out too
      yield { entry: `${JSON.stringify(key)}:${text}` }
    }
  }
}

/** Pieces of JSON text that join into the document of `value`. */
function* jsonPieces(value, name, perPiece) {
  if (!plainObject(value)) {
    yield toJson(value, name)
    return
  }
  let open = '{'
  let array = null // the key of the long array being written
  for (const piece of entryPieces(value, name, perPiece)) {
    if (array !== null && piece.key !== array) {
      yield ']'
      array = null
    }
    if (piece.slice === undefined) {
      yield `${open}${piece.entry}`
    } else if (array === null) {
      array = piece.key
      yield `${open}${JSON.stringify(piece.key)}:[${piece.slice.slice(1, -1)}`
    } else {
      yield `,${piece.slice.slice(1, -1)}`
    }
    open = ','
  }
  if (array !== null) yield ']'
  yield open === '{' ? '{}' : '}'
}

/** Writes an argument as JSON text; a value JSON cannot hold is `invalid_input`. */
function toJson(value, name = 'input') {
  let text
  try {
    text = JSON.stringify(value === undefined ? null : value)
  } catch (err) {
    throw new InvalidInput(`\`${name}\` cannot be written as JSON: ${err.message}`, 'invalid_input')
  }
  return text === undefined ? 'null' : text
}

const fromJson = (text) => JSON.parse(text)

function writeInput(input) {
  try {
    return toJsonPieces(input)
  } catch (err) {
    if (err instanceof EntraSyncError) throw err
    throw new InvalidInput(`\`input\` cannot be written as JSON: ${err.message}`, 'invalid_input')
  }
}

async function writeInputAsync(input) {
  try {
    return await toJsonPiecesAsync(input)
  } catch (err) {
    if (err instanceof EntraSyncError) throw err
    throw new InvalidInput(`\`input\` cannot be written as JSON: ${err.message}`, 'invalid_input')
  }
}

/** The lists of a plan that come in pieces; `seen` is left out of the plan when empty. */
const PLAN_LISTS = ['actions', 'withheld', 'excluded', 'seen']

/** Appends the elements of a JSON array to `list`. */
function appendItems(list, json) {
  for (const item of fromJson(json)) list.push(item)
}

/** The plan from its pieces (see src/plan_pieces.rs): the head, then each long list. */
function readPlan(pieces) {
  const plan = fromJson(pieces.head)
  for (const key of PLAN_LISTS) {
    if (!pieces[key] || pieces[key].length === 0) continue
    const list = plan[key] ?? (plan[key] = [])
    for (const piece of pieces[key]) appendItems(list, piece)
  }
  return plan
}

/** Like `readPlan`, with a turn of the event loop between pieces. */
async function readPlanAsync(pieces) {
  const plan = fromJson(pieces.head)
  let read = 0
  for (const key of PLAN_LISTS) {
    if (!pieces[key] || pieces[key].length === 0) continue
    const list = plan[key] ?? (plan[key] = [])
    for (const piece of pieces[key]) {
      if (read >= CHARS_PER_TURN) {
        read = 0
        await nextTurn()
      }
      read += piece.length
      appendItems(list, piece)
    }
  }
  return plan
}

/** Assembles a plan from the pieces a native `PlanStream` hands over (see src/plan_stream.rs):
 * the lists' elements as they come, then the head, which ends the plan. */
class StreamedPlan {
  constructor() {
    this.lists = Object.fromEntries(PLAN_LISTS.map((key) => [key, []]))
  }
  /** Takes the next piece: the plan once its head came, `null` when the input was refused (plan
   * it from its whole text), `undefined` while more pieces are to come. */
  take(piece) {
    if (piece === null) throw new EntraSyncError('the plan ended before its head', 'internal')
    if (piece.key === 'refused') return null
    if (piece.key === 'head') {
      const plan = fromJson(piece.json)
      for (const key of PLAN_LISTS) if (this.lists[key].length > 0) plan[key] = this.lists[key]
      return plan
    }
    appendItems(this.lists[piece.key], piece.json)
    return undefined
  }
}

async function jsonPromise(f) {
  return guardAsync(async () => fromJson(await f()))
}

// ---------------------------------------------------------------------------------------------
// Pure functions

/** Runs any core function by name (see `functions()`) on an input in the contract shape. */
function call(name, input) {
  return guard(() => fromJson(native.callJson(String(name), writeInput(input))))
}

/** Like `call`, as a Promise computed on a worker thread: the event loop keeps serving. */
function callAsync(name, input) {
  return guardAsync(async () => fromJson(await native.callJsonAsync(String(name), await writeInputAsync(input))))
}

/** The names `call` accepts. */
const functions = () => native.functions()

// filterUsers reads from each user only what the filter looks at and hands back the caller's
// own objects (see src/filter_fields.rs, whose flags these are).
const FLAG_ENABLED = 1
const FLAG_LICENSED = 2
const FLAG_UPN = 4
const FLAG_MAIL = 8
const FLAG_MAIL_IS_UPN = 16
const FLAG_DISPLAY_NAME = 32
const USER_TYPE_TEXT = 1 << 6
const USER_TYPE_MEMBER = 2 << 6
const USER_TYPE_GUEST = 3 << 6
const REASON_NAMES = Object.freeze(native.filterReasonNames())

const isText = (v) => typeof v === 'string' && v.isWellFormed()
/** Whether the JSON entry point takes `v` as an optional string (absent, null or a string). */
const isOptionalText = (v) => v === undefined || v === null || (typeof v === 'string' && v.isWellFormed())
/** Like `isOptionalText`, without the well-formedness check: for the texts whose code units the
 * addon reads, which refuses a lone surrogate itself. */
const isOptionalString = (v) => v === undefined || v === null || typeof v === 'string'
/** Whether the JSON entry point takes `v` as a list of strings (absent, null or strings). */
function isTextList(v) {
  if (v === undefined || v === null) return true
  if (!Array.isArray(v)) return false
  for (let i = 0; i < v.length; i++) {
    const t = v[i]
    if (typeof t !== 'string' || !t.isWellFormed()) return false
  }
  return true
}

/** The texts go into strings of about this many code units each. Each piece is made flat (one
 * sequential string) as soon as it is full, so the short-lived rope of its appends dies young;
 * one rope of every text costs the collector (and the addon's flattening) several times more
 * over 100,000 users, and a JavaScript string cannot pass about 2^29 units anyway. */
const PIECE_UNITS = 1 << 13

/** The filter's fields of every user: one byte of flags per user, the present texts joined into
 * strings (see `PIECE_UNITS`) and the length of each; or null when some user is not one the JSON
 * entry point reads as it stands (a missing or mistyped contract key, both `email` and `mail`, a
 * `toJSON` method): the entry point then decides, and names what is wrong. Only the contract's
 * keys are read; others are never looked at. The texts the filter reads are checked for lone
 * surrogates by the addon as it reads their code units; every other contract key here, or, with
 * `deferRest`, by `everyOtherReadable` while the addon decides. */
function filterFields(users, deferRest) {
  const count = users.length
  const flags = new Uint8Array(count)
  const lengths = new Uint32Array(4 * count)
  const pieces = []
  // Appending to a string is far cheaper than copying each text's code units here; each full
  // piece is made flat at once (see PIECE_UNITS).
  let text = ''
  let texts = 0
  for (let i = 0; i < count; i++) {
    const u = users[i]
    if (u === null || typeof u !== 'object' || Array.isArray(u) || typeof u.toJSON === 'function') return null
    const enabled = u.accountEnabled
    const upn = u.userPrincipalName
    let mail = u.email
    if (mail === undefined) mail = u.mail
    else if (u.mail !== undefined) return null // both: the entry point refuses the duplicate
    const name = u.displayName
    const kind = u.userType
    const licenses = u.assignedLicenseSkuIds
    if (
      typeof enabled !== 'boolean' || !isText(u.entraObjectId) ||
      !isOptionalString(upn) || !isOptionalString(mail) || !isOptionalString(name) || !isOptionalString(kind) ||
      !isTextList(licenses) || (!deferRest && !othersReadable(u))
    ) {
      return null
    }
    if (text.length > PIECE_UNITS) {
      text.charCodeAt(0) // flattens the piece's rope (see PIECE_UNITS)
      pieces.push(text)
      text = ''
    }
    let f = enabled ? FLAG_ENABLED : 0
    if (licenses != null && licenses.length > 0) f |= FLAG_LICENSED
    if (upn != null) {
      f |= FLAG_UPN
      text += upn
      lengths[texts++] = upn.length
    }
    if (mail != null) {
      if (mail === upn) f |= FLAG_MAIL | FLAG_MAIL_IS_UPN
      else {
        f |= FLAG_MAIL
        text += mail
        lengths[texts++] = mail.length
      }
    }
    if (name != null) {
      f |= FLAG_DISPLAY_NAME
      text += name
      lengths[texts++] = name.length
    }
    if (kind === 'Member') f |= USER_TYPE_MEMBER
    else if (kind === 'Guest') f |= USER_TYPE_GUEST
    else if (kind != null) {
      f |= USER_TYPE_TEXT
      text += kind
      lengths[texts++] = kind.length
    }
    flags[i] = f
  }
  pieces.push(text)
  return [flags, pieces, lengths.subarray(0, texts)]
}

/** Whether the JSON entry point reads the contract keys of `u` the filter does not look at. */
function othersReadable(u) {
  return (
    isOptionalText(u.entraTenantId) && isOptionalText(u.givenName) && isOptionalText(u.surname) &&
    isOptionalText(u.jobTitle) && isOptionalText(u.mobilePhone) &&
    isTextList(u.otherMails) && isTextList(u.proxyAddresses) && isTextList(u.businessPhones)
  )
}

/** `othersReadable` of every user (what `filterFields` left out when told to defer it). */
function everyOtherReadable(users) {
  for (let i = 0; i < users.length; i++) if (!othersReadable(users[i])) return false
  return true
}

/** The arguments of the native field filter, or null when the JSON entry point must decide.
 * With `deferRest`, the contract keys the filter does not look at are left for
 * `everyOtherReadable`, checked while the addon decides. */
function filterArgs(input, deferRest = false) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return null
  const users = input.users
  if (!Array.isArray(users) || typeof input.toJSON === 'function') return null
  let options
  try {
    options = JSON.stringify(input.options === undefined ? null : input.options)
  } catch (_) {
    return null
  }
  if (options === undefined) options = 'null'
  // The group scope decides from the object ids and the group listings. Written before the
  // fields, so that no code of the caller's (a `toJSON`) runs between the fields and the addon.
  const o = input.options
  const grouped =
    input.groupMemberships != null ||
    (o != null && typeof o === 'object' && (nonEmpty(o.includeGroupIds) || nonEmpty(o.excludeGroupIds)))
  let scope = null
  if (grouped) {
    try {
      scope = JSON.stringify({ objectIds: users.map(objectIdOf), groupMemberships: input.groupMemberships ?? [] })
    } catch (_) {
      return null
    }
  }
  const fields = filterFields(users, deferRest)
  if (fields === null) return null
  return { users, args: [options, ...fields, scope] }
}

const objectIdOf = (u) => u.entraObjectId

const nonEmpty = (v) => v != null && (!Array.isArray(v) || v.length > 0)

/** The result from the caller's own users and the native decisions. */
function filterResult(users, decisions) {
  const { reasons, patternIds, patterns } = decisions
  const included = []
  const excluded = []
  for (let i = 0; i < users.length; i++) {
    const code = reasons[i]
    if (code === 0) {
      included.push(users[i])
      continue
    }
    const entry = { user: users[i], reason: REASON_NAMES[code - 1] }
    const p = patternIds[i]
    if (p !== 0) entry.pattern = patterns[p - 1]
    excluded.push(entry)
  }
  const out = { included, excluded }
  if (decisions.warningsJson != null) out.warnings = fromJson(decisions.warningsJson)
  return out
}

/** From how many users the sync `filterUsers` decides on a thread of its own while it checks the
 * keys the filter does not read (below, starting a thread costs more than it saves). */
const THREADED_FROM = 2_000

/** Splits the users into included and excluded (with a reason). The users in the result are the
 * caller's own objects (as `Array.prototype.filter` returns them), not canonical copies; input the
 * core would refuse gets the entry point's error. */
function filterUsers(input) {
  return guard(() => {
    const large = input != null && Array.isArray(input.users) && input.users.length >= THREADED_FROM
    const read = filterArgs(input, large)
    let decisions = null
    if (read !== null && !large) {
      decisions = native.filterUserFields(...read.args)
    } else if (read !== null) {
      // The addon decides on a thread of its own (having copied the arrays) while the keys the
      // filter does not look at are checked here; if one is not readable, the entry point
      // decides (and names it), whatever the addon answered.
      const pending = native.filterUserFieldsStart(...read.args)
      let readable = false
      try {
        readable = everyOtherReadable(read.users)
      } finally {
        if (readable) decisions = pending.finish()
        else {
          try {
            pending.finish()
          } catch (_) {
            // the entry point names what is wrong
          }
        }
      }
    }
    if (decisions === null) return call('filter_users', input)
    return filterResult(read.users, decisions)
  })
}

/** Like `filterUsers`, as a Promise decided on a worker thread. */
function filterUsersAsync(input) {
  return guardAsync(async () => {
    const read = filterArgs(input, true)
    let decisions = null
    if (read !== null) {
      // The addon copies the arrays before the Promise is made: the buffer can be reused. The
      // keys the filter does not look at are checked while a worker thread decides; if one is
      // not readable, the entry point decides (and names it), whatever the addon answered.
      const pending = native.filterUserFieldsAsync(...read.args)
      let readable
      try {
        readable = everyOtherReadable(read.users)
      } catch (err) {
        pending.catch(() => {})
        throw err
      }
      if (readable) decisions = await pending
      else pending.catch(() => {})
    }
    if (decisions === null) return callAsync('filter_users', input)
    return filterResult(read.users, decisions)
  })
}
const validatePatterns = (input) => call('validate_patterns', input)
/** The lists of a plan's input the addon reads a slice at a time (see src/plan_stream.rs). */
const STREAMED_LISTS = new Set(['users', 'contacts'])

/** Writes a plan's input to a native `PlanStream`, whose thread reads the users' and contacts'
 * slices while the next ones are written; yields the length of each piece written. */
function* feedPlanStream(stream, input) {
  try {
    for (const piece of entryPieces(input, 'input', ELEMENTS_PER_PIECE_ASYNC, STREAMED_LISTS)) {
      if (piece.slice === undefined) stream.entry(piece.entry)
      else stream.slice(piece.key, piece.slice)
      yield (piece.slice ?? piece.entry).length
    }
  } catch (err) {
    stream.cancel()
    if (err instanceof EntraSyncError) throw err
    throw new InvalidInput(`\`input\` cannot be written as JSON: ${err.message}`, 'invalid_input')
  }
}

/** Whether a plan's input is worth reading while it is written: a plain object with more users
 * or contacts than one slice (for less, a thread of its own costs more than it saves). */
const streamsPlanInput = (input) =>
  plainObject(input) &&
  [...STREAMED_LISTS].some((key) => Array.isArray(input[key]) && input[key].length > ELEMENTS_PER_PIECE_ASYNC)

/** Plans one tenant's contact sync. A large input is read by the addon while it is written, and
 * its plan parsed a piece at a time while the addon plans the rest; a small one crosses whole,
 * and its plan is read back a list slice at a time. An input the streamed reader refuses is
 * planned from its whole text, so errors are the entry point's. */
function planTenantSync(input) {
  return guard(() => {
    if (streamsPlanInput(input)) {
      const stream = new native.PlanStream()
      for (const _ of feedPlanStream(stream, input));
      stream.close()
      const reading = new StreamedPlan()
      let plan
      while ((plan = reading.take(stream.next())) === undefined);
      if (plan !== null) return plan
    }
    return readPlan(native.planTenantSyncPieces(writeInput(input)))
  })
}
const previewMappings = (input) => call('preview_mappings', input)
const mergeDiscovery = (input) => call('merge_discovery', input)
const planMappingChanges = (input) => call('plan_mapping_changes', input)
const applyPlanEnvelope = (input, plan) => (plan === undefined ? input : { input, plan })
const applyPlan = (input, plan) => call('apply_plan', applyPlanEnvelope(input, plan))
/** The version of a stored contact, to compare with an action's `contactVersion`. */
const contactVersion = (contact) => call('contact_version', { contact }).contactVersion
/** A tenant's licence summary: per SKU purchased, assigned and reclaimable; per user the SKUs. */
const summarizeLicenses = (input) => call('summarize_licenses', input)

/** Like `planTenantSync`, computed on a worker thread; the input is written and the plan read
 * in slices between turns of the event loop. */
async function planTenantSyncAsync(input) {
  return guardAsync(async () => {
    if (streamsPlanInput(input)) {
      const stream = new native.PlanStream()
      let written = 0
      for (const length of feedPlanStream(stream, input)) {
        written += length
        if (written >= CHARS_PER_TURN) {
          written = 0
          await nextTurn()
        }
      }
      stream.close()
      // Each piece is awaited, so the event loop turns between two of them.
      const reading = new StreamedPlan()
      let plan
      while ((plan = reading.take(await stream.nextAsync())) === undefined);
      if (plan !== null) return plan
    }
    return readPlanAsync(await native.planTenantSyncPiecesAsync(await writeInputAsync(input)))
  })
}
const previewMappingsAsync = (input) => callAsync('preview_mappings', input)
const applyPlanAsync = (input, plan) => callAsync('apply_plan', applyPlanEnvelope(input, plan))

/** The PSA's clients and the preview options, validated and indexed once, for hosts that preview
 * a few new tenants at a time against the same clients (indexing the clients is most of a
 * preview's cost). `index.preview({tenants, mappings})` returns exactly what
 * `previewMappings({tenants, mappings, clients, options})` returns. Invalid clients or options
 * throw what `previewMappings` would throw; rebuild the index when the clients change. */
class ClientIndex {
  constructor(clients, options = undefined) {
    const handle = guard(() => native.ClientIndex.build(writeIndexArgs(clients, options)))
    Object.defineProperty(this, '_native', { value: handle })
  }
  /** `previewMappings` of `{tenants, mappings?}` against the indexed clients; an input carrying
   * its own `clients` or `options` throws `InvalidInput` (they belong to the index). */
  preview(input) {
    return guard(() => fromJson(this._native.preview(writeInput(input))))
  }
  /** Like `preview`, as a Promise computed on a worker thread. */
  previewAsync(input) {
    return guardAsync(async () => fromJson(await this._native.previewAsync(await writeInputAsync(input))))
  }
  /** How many clients the index holds. */
  get size() {
    return this._native.size
  }
}

/** `{clients, options}` as JSON pieces, keys left out when undefined (as in a preview input). */
function writeIndexArgs(clients, options) {
  const args = {}
  if (clients !== undefined) args.clients = clients
  if (options !== undefined) args.options = options
  return writeInput(args)
}

/** The deterministic id of a run; `attempt` > 1 names a later attempt of a finished run. */
function runId(key, attempt = 1) {
  return guard(() => native.runIdJson(toJson(key, 'key'), attempt))
}

/** The canonical secret names a host stores credentials under. */
const SECRET_NAMES = Object.freeze(fromJson(native.secretNamesJson()))

// ---------------------------------------------------------------------------------------------
// Providers

/** What both providers share: the listing calls (Promises of contract records). */
class Provider {
  constructor(handle) {
    Object.defineProperty(this, '_native', { value: handle })
  }
  /** `"direct"` (Graph) or `"cipp"`. */
  get connectionType() {
    return this._native.connectionType
  }
  /** Whether `listUsersDelta` is served (Graph) or rejects with `Unsupported` (CIPP). */
  get supportsDelta() {
    return this._native.supportsDelta
  }
  listManagedTenants() {
    return jsonPromise(() => this._native.listManagedTenants())
  }
  listUsers(tenantId) {
    return jsonPromise(() => this._native.listUsers(tenantId))
  }
  listUsersDelta(tenantId, deltaLink = null) {
    return jsonPromise(() => this._native.listUsersDelta(tenantId, deltaLink))
  }
}

/** The token-set callback as the addon calls it: JSON in, a Promise of null or of the name of
 * the error that stopped the persist out. The error's message is the host's and may quote the
 * token it failed to write, so only its name crosses. */
function rotationCallback(onTokensRotated) {
  if (onTokensRotated == null) return null
  if (typeof onTokensRotated !== 'function') {
    throw new InvalidInput('`onTokensRotated` must be a function', 'invalid_input')
  }
  const nameOf = (err) => (err && err.constructor && err.constructor.name) || typeof err
  return (tokens) => {
    try {
      return Promise.resolve(onTokensRotated(fromJson(tokens))).then(
        () => null,
        (err) => nameOf(err),
      )
    } catch (err) {
      return Promise.resolve(nameOf(err))
    }
  }
}

/** Microsoft Graph with the MSP's partner (GDAP) access. */
class GraphProvider extends Provider {
  constructor(settings, options = {}) {
    const callback = rotationCallback(options && options.onTokensRotated)
    super(guard(() => native.Provider.graph(toJson(settings, 'settings'), callback)))
  }
  /** Checks the connection step by step. */
  validate() {
    return jsonPromise(() => this._native.validate(null))
  }
}

/** The CIPP API. */
class CippProvider extends Provider {
  constructor(settings) {
    super(guard(() => native.Provider.cipp(toJson(settings, 'settings'))))
  }
  /** Checks the connection step by step; `probeTenant` is the tenant whose users are read. */
  validate(probeTenant = null) {
    return jsonPromise(() => this._native.validate(probeTenant))
  }
}

// ---------------------------------------------------------------------------------------------
// Partner sign-in

/** Starts a partner sign-in: `{url, state, claims, codeVerifier}`. Send the browser to `url`;
 * keep `codeVerifier` server-side for the exchange. `signingKey` (32+ bytes) signs the state. */
function authorizeUrl(settings, signingKey, hostTenant, hostUser) {
  return guard(() => fromJson(native.authorizeUrlJson(toJson(settings, 'settings'), signingKey, hostTenant, hostUser)))
}

/** The nonce hook as the addon calls it: JSON in, a Promise of "true", "false" or
 * "error:<name>" out (only the error's name crosses: its message is the host's). */
function nonceHook(consumeNonce) {
  if (consumeNonce == null) return null
  if (typeof consumeNonce !== 'function') throw new InvalidInput('`consumeNonce` must be a function', 'invalid_input')
  const nameOf = (err) => `error:${(err && err.constructor && err.constructor.name) || typeof err}`
  return (request) => {
    try {
      const { nonce, expiresAtMs } = fromJson(request)
      return Promise.resolve(consumeNonce(nonce, expiresAtMs)).then((used) => String(Boolean(used)), nameOf)
    } catch (err) {
      return Promise.resolve(nameOf(err))
    }
  }
}

/** Checks the `state` a callback received (signature, age, tenant, user, redirect URI); with
 * `consumeNonce(nonce, expiresAtMs)` (returning false for a nonce already used) it is
 * single-use. Resolves to the claims; rejects with `AuthError` and a `state_*` code. */
function verifyState(state, signingKey, expectedTenant, expectedUser, redirectUri, options = {}) {
  return guardAsync(async () => {
    const { ttl = null, consumeNonce = null } = options || {}
    return fromJson(await native.verifyStateJson(state, signingKey, expectedTenant, expectedUser, redirectUri, ttl, nonceHook(consumeNonce)))
  })
}

/** Redeems the authorization code of the callback: a token set to persist. */
function exchangeCode(settings, code, codeVerifier) {
  return jsonPromise(() => native.exchangeCodeJson(toJson(settings, 'settings'), code, codeVerifier))
}

/** Redeems a refresh token: the new token set (persist its `refreshToken`). */
function refreshTokens(settings, refreshToken, scope = null) {
  return jsonPromise(() => native.refreshTokensJson(toJson(settings, 'settings'), refreshToken, scope))
}

// ---------------------------------------------------------------------------------------------
// Stores and the engine

/** What both stores share: the host's records in, what sync wrote out. */
class Store {
  constructor(handle) {
    Object.defineProperty(this, '_native', { value: handle })
  }
  /** A call of the Rust host layer's store by name, each argument written as JSON. */
  _call(method, ...args) {
    return jsonPromise(() => this._native.call(method, args.map((a, i) => toJson(a, STORE_ARGS[method]?.[i]))))
  }
  upsertClients(clients) {
    return this._call('upsert_clients', clients)
  }
  upsertContacts(contacts) {
    return this._call('upsert_contacts', contacts)
  }
  loadTenants() {
    return this._call('load_tenants')
  }
  loadMappings() {
    return this._call('load_mappings')
  }
  loadQueue(tenantId = null) {
    return this._call('load_queue', tenantId)
  }
  resolveQueueItem(tenantId, resolution) {
    return this._call('resolve_queue_item', tenantId, resolution)
  }
  loadRun(runId) {
    return this._call('load_run', runId)
  }
  loadTenantResults(runId) {
    return this._call('load_tenant_results', runId)
  }
  loadSyncSettings(tenantId) {
    return this._call('load_sync_settings', tenantId)
  }
  saveSyncSettings(tenantId, settings) {
    return this._call('save_sync_settings', tenantId, settings)
  }
  snapshot() {
    return this._call('snapshot')
  }
  /** The PSA account whose records this store reads and writes. */
  get accountId() {
    return this._native.accountId
  }
  /** A settings layer: the account-wide defaults (no `tenantId`) or a tenant's overrides. */
  loadSettingsOverrides(tenantId = null) {
    return this._call('load_settings_overrides', tenantId)
  }
  /** Replaces a settings layer (no `tenantId`: the account-wide defaults); `{}` forgets it. */
  saveSettingsOverrides(overrides, tenantId = null) {
    return this._call('save_settings_overrides', overrides, tenantId)
  }
  /** A tenant's effective settings and, per field, `{value, source}`. */
  resolveSyncSettings(tenantId) {
    return this._call('resolve_sync_settings', tenantId)
  }
  /** The account's connections: `{active, history}`. */
  connectionStatus() {
    return this._call('connection_status')
  }
  /** Connects (`'direct'` or `'cipp'`): `{connection, secretsToClear}`; delete those secrets. */
  connect(connectionType) {
    return this._call('connect', connectionType)
  }
  /** Records a provider's validation report on the active connection. */
  recordValidation(report) {
    return this._call('record_validation', report)
  }
  /** Disconnects: `{connection, secretsToClear}` with both types' secret names. */
  disconnect() {
    return this._call('disconnect')
  }
}

/** The names of each store call's arguments, for the message when one cannot be written. */
const STORE_ARGS = {
  upsert_clients: ['clients'],
  upsert_contacts: ['contacts'],
  resolve_queue_item: ['tenantId', 'resolution'],
  save_sync_settings: ['tenantId', 'settings'],
  save_settings_overrides: ['overrides', 'tenantId'],
  record_validation: ['report'],
}

/** The reference in-memory store: for tests, demos and embedding. `accountId`: the PSA account
 * it serves (default `'default'`). */
class MemoryStore extends Store {
  constructor(accountId = null) {
    super(guard(() => native.Store.memory(accountId)))
  }
}

/** The durable embedded store: one SQLite file (created with its schema when missing), one
 * account's rows of it (`accountId`, default `'default'`). */
class SqliteStore extends Store {
  constructor(path, accountId = null) {
    super(guard(() => native.Store.sqlite(String(path), accountId)))
  }
  /** A private in-memory database, gone when the store is garbage-collected. */
  static inMemory() {
    const store = Object.create(SqliteStore.prototype)
    Object.defineProperty(store, '_native', { value: guard(() => native.Store.sqliteInMemory()) })
    return store
  }
}

function nativeOf(value, Class, name) {
  if (!(value instanceof Class)) {
    throw new InvalidInput(`\`${name}\` must be a ${Class === Provider ? 'GraphProvider or a CippProvider' : 'MemoryStore or a SqliteStore'}`, 'invalid_input')
  }
  return value._native
}

/** Runs `start(optionsJson, progress, cancelToken)` with the run options' `onProgress` and abort
 * `signal` wired to the engine: an aborted signal cancels the run between tenants. */
function runWith(options, start) {
  const { onProgress, signal, ...rest } = options || {}
  return guardAsync(async () => {
    const token = new native.CancelToken()
    const abort = () => token.cancel()
    if (signal) {
      if (signal.aborted) abort()
      else signal.addEventListener('abort', abort, { once: true })
    }
    const progress = typeof onProgress === 'function' ? (event) => onProgress(fromJson(event)) : null
    try {
      return fromJson(await start(toJson(rest, 'options'), progress, token))
    } finally {
      if (signal) signal.removeEventListener('abort', abort)
    }
  })
}

/** Discovery, mapping and contact sync over a provider and a store. */
class SyncEngine {
  constructor(provider, store) {
    const handle = guard(() => new native.SyncEngine(nativeOf(provider, Provider, 'provider'), nativeOf(store, Store, 'store')))
    Object.defineProperty(this, '_native', { value: handle })
  }
  /** Lists the managed tenants and merges them into the store (nothing is ever deleted). */
  discover() {
    return jsonPromise(() => this._native.discover())
  }
  /** Suggests a client for every listed tenant; writes nothing. */
  previewMappings(options = undefined) {
    return jsonPromise(() => this._native.previewMappings(options === undefined ? null : toJson(options, 'options')))
  }
  /** Applies operator decisions (`confirm`, `skip`, `remap`, `unmap`) as one batch. */
  applyMappingChanges(operations) {
    return jsonPromise(() => this._native.applyMappingChanges(toJson(operations, 'operations')))
  }
  /** Syncs one mapped tenant; `{dryRun: true}` writes nothing. */
  syncTenant(mapping, options = {}) {
    return jsonPromise(() => this._native.syncTenant(toJson(mapping, 'mapping'), toJson(options, 'options')))
  }
  /** Syncs every mapped tenant. `onProgress(event)` receives the run's progress events; an
   * aborted `signal` stops the run between tenants (it ends `cancelled`). */
  syncAll(options = {}) {
    return runWith(options, (rest, progress, token) => this._native.syncRun(null, rest, progress, token))
  }
  /** "Sync now" on a client: every tenant mapped to `clientId` as one recorded run (scope
   * `client`); options, `onProgress` and `signal` as `syncAll`'s. */
  syncClient(clientId, options = {}) {
    return runWith(options, (rest, progress, token) => this._native.syncRun(clientId, rest, progress, token))
  }
  /** Discovery as a recorded run (scope `discovery`): `{run, report, joined}`. */
  discoverRun(options = {}) {
    return jsonPromise(() => this._native.discoverRun(toJson(options, 'options')))
  }
}

/** Validates CIPP settings and returns `{secrets: {<canonical name>: value}}` to write. */
function cippSecrets(settings) {
  return fromJson(guard(() => native.cippSecrets(toJson(settings, 'settings'))))
}

// ---------------------------------------------------------------------------------------------
// Sandbox

/** The loopback Microsoft login + Graph + CIPP services with a synthetic MSP estate. */
class Sandbox {
  constructor(handle) {
    Object.defineProperty(this, '_native', { value: handle })
  }
  /** A view of the sandbox by name (the addon's `viewJson`), as plain data. */
  _view(name, tenantId) {
    return fromJson(this._native.viewJson(name, tenantId === undefined ? null : tenantId))
  }
  /** Builds the estate from `config` and serves it on three ephemeral 127.0.0.1 ports. */
  static async start(config = {}) {
    return new Sandbox(await guardAsync(() => native.Sandbox.start(toJson(config, 'config'))))
  }
  get loginBaseUrl() {
    return guard(() => this._native.loginBaseUrl)
  }
  get graphBaseUrl() {
    return guard(() => this._native.graphBaseUrl)
  }
  get cippBaseUrl() {
    return guard(() => this._native.cippBaseUrl)
  }
  /** True until `shutdown()`. */
  get running() {
    return this._native.running
  }
  get credentials() {
    return guard(() => this._view('credentials'))
  }
  graphSettings() {
    return guard(() => this._view('graphSettings'))
  }
  cippSettings() {
    return guard(() => this._view('cippSettings'))
  }
  partnerTenant() {
    return guard(() => this._view('partnerTenant'))
  }
  tenants() {
    return guard(() => this._view('tenants'))
  }
  users(tenantId) {
    return guard(() => this._view('users', tenantId))
  }
  expectedUsers(tenantId) {
    return guard(() => this._view('expectedUsers', tenantId))
  }
  crmClients() {
    return guard(() => this._view('crmClients'))
  }
  crmContacts() {
    return guard(() => this._view('crmContacts'))
  }
  /** Changes the directory between runs; returns the id of the user touched or created. */
  mutate(mutation) {
    return guard(() => this._native.mutate(toJson(mutation, 'mutation')))
  }
  faults() {
    return guard(() => this._view('faults'))
  }
  /** Replaces the active faults (keys not given are off). */
  setFaults(faults) {
    guard(() => this._native.setFaults(toJson(faults, 'faults')))
  }
  /** Changes only the faults named in `faults`. */
  updateFaults(faults) {
    guard(() => this._native.updateFaults(toJson(faults, 'faults')))
  }
  revokeRefreshTokens() {
    guard(() => this._native.act('revokeRefreshTokens'))
  }
  expireDeltaTokens() {
    guard(() => this._native.act('expireDeltaTokens'))
  }
  /** How many requests reached `path` (`/v1.0/users`, `/api/ListTenants`, ...), faulted ones
   * included. */
  requestCount(path) {
    return guard(() => this._native.requestCount(String(path)))
  }
  /** Requests per path. */
  requestCounts() {
    return guard(() => this._view('requestCounts'))
  }
  /** Forgets the request counts. */
  resetRequestCounts() {
    guard(() => this._native.act('resetRequestCounts'))
  }
  /** Every access token issued so far stops working (Graph and CIPP answer 401). */
  revokeAccessTokens() {
    guard(() => this._native.act('revokeAccessTokens'))
  }
  /** Stops the three services. Calling it again does nothing. */
  shutdown() {
    return guardAsync(() => this._native.shutdown())
  }
  async [Symbol.asyncDispose]() {
    await this.shutdown()
  }
}

// ---------------------------------------------------------------------------------------------
// Logging

const LEVELS = ['error', 'warn', 'info', 'debug', 'trace']

/** Sends the Rust log events to `logger`: a function receiving `{level, message, target,
 * fields, context}`, or an object with `error`/`warn`/`info` (and optionally `debug`/`trace`)
 * methods called with `(message, event)`. `null` stops forwarding. `level` is the most verbose
 * level forwarded (`info` by default). */
function setLogger(logger, options = {}) {
  const level = (options && options.level) || 'info'
  let sink = null
  if (typeof logger === 'function') {
    sink = (event) => logger(fromJson(event))
  } else if (logger != null) {
    if (typeof logger !== 'object') throw new InvalidInput('`logger` must be a function or an object', 'invalid_input')
    sink = (text) => {
      const event = fromJson(text)
      const method = [event.level, 'info'].find((m) => typeof logger[m] === 'function')
      const fallback = event.level === 'error' || event.level === 'warn' ? logger.warn || logger.error : null
      const f = method ? logger[method] : fallback
      if (typeof f === 'function') f.call(logger, event.message, event)
    }
  }
  if (!LEVELS.includes(level) && level !== 'off') {
    throw new InvalidInput(`unknown log level \`${level}\``, 'invalid_input')
  }
  guard(() => native.setNativeLogger(sink, level))
}

/** The native addon's version. */
const version = native.version()

// Every export is written as a plain name: Node reads these names to give `index.mjs` its named
// exports, so the list exists once.
module.exports = {
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
  contactVersion,
  summarizeLicenses,
  filterUsersAsync,
  planTenantSyncAsync,
  previewMappingsAsync,
  ClientIndex,
  applyPlanAsync,
  runId,
  SECRET_NAMES,
  GraphProvider,
  CippProvider,
  authorizeUrl,
  verifyState,
  exchangeCode,
  refreshTokens,
  MemoryStore,
  SqliteStore,
  SyncEngine,
  cippSecrets,
  Sandbox,
  setLogger,
  version,
}

// Test hooks (only in addons built with the `test-hooks` feature).
if (typeof native.raiseForCode === 'function') {
  Object.defineProperty(module.exports, '_testHooks', {
    enumerable: false,
    value: Object.freeze({
      raiseForCode: (code, message, family) => guard(() => native.raiseForCode(code, message, family)),
      panic: () => guard(() => native.panicForTest()),
      panicAsync: () => guardAsync(() => native.panicAsyncForTest()),
      emitLog: (level, message) => native.emitLogForTest(level, message),
      fromNative,
    }),
  })
}
