// Known secret values never come back: every failing call below runs with the client secret, the
// partner refresh token, a live access token, the CIPP secret and the OAuth state key in play, and
// none of them may appear in the error's message, `details`, `util.inspect` output or cause chain,
// in the inspected objects involved, or in any log event (received at the `trace` level).
import { test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { es } from './helpers.mjs'

const KEY = 'state-signing-key-' + 's'.repeat(30)
const REDIRECT = 'https://psa.example/entra/callback'
const quick = (settings) => ({ ...settings, policy: { baseDelay: 0.001, maxDelay: 0.01, maxRetries: 1 } })

let sandbox
beforeEach(async () => {
  sandbox = await es.Sandbox.start({ seed: 11, tenants: 3, usersPerTenant: 6 })
})
afterEach(async () => {
  es.setLogger(null)
  await sandbox.shutdown()
})

const signIn = (sb) => {
  const c = sb.credentials
  return quick({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    authority: c.partnerTenantId,
    redirectUri: REDIRECT,
    loginBase: sb.loginBaseUrl,
    graphBase: sb.graphBaseUrl,
  })
}

const tamper = (state) => state.slice(0, -2) + (state.endsWith('AA') ? 'BB' : 'AA')

// [name, reaches a service (so it must log), the failing call]
const SCENARIOS = [
  ['graph wrong client secret', true, (sb, s) => new es.GraphProvider({ ...quick(sb.graphSettings()), clientSecret: s.wrong }).listManagedTenants()],
  ['graph revoked refresh token', true, (sb) => { sb.revokeRefreshTokens(); return new es.GraphProvider(quick(sb.graphSettings())).listManagedTenants() }],
  ['graph consent missing', true, (sb) => {
    const tid = sb.tenants()[1].tenantId
    sb.updateFaults({ tokenErrors: { [tid]: 'consent_missing' } })
    return new es.GraphProvider(quick(sb.graphSettings())).listUsers(tid)
  }],
  ['graph server errors', true, (sb) => { sb.updateFaults({ graphUnavailableRate: 1.0 }); return new es.GraphProvider(quick(sb.graphSettings())).listManagedTenants() }],
  ['graph stale access token', true, (sb, s) => {
    sb.revokeRefreshTokens()
    return new es.GraphProvider({ ...quick(sb.graphSettings()), accessToken: s.access, expiresAt: 1 }).listManagedTenants()
  }],
  ['graph settings refused', false, async (sb) => new es.GraphProvider({ ...quick(sb.graphSettings()), graphBase: 'ftp://graph.example/v1.0' })],
  ['cipp wrong client secret', true, (sb, s) => new es.CippProvider({ ...quick(sb.cippSettings()), clientSecret: s.wrong }).listManagedTenants()],
  ['cipp gateway errors', true, (sb) => { sb.updateFaults({ cippGatewayErrorRate: 1.0 }); return new es.CippProvider(quick(sb.cippSettings())).listManagedTenants() }],
  ['refresh revoked', true, (sb, s) => { sb.revokeRefreshTokens(); return es.refreshTokens(signIn(sb), s.refresh) }],
  ['exchange unknown code', true, (sb) => es.exchangeCode(signIn(sb), 'not-a-code', 'v'.repeat(43))],
  ['state tampered', false, async (sb) => es.verifyState(tamper(es.authorizeUrl(signIn(sb), KEY, 't', 'u').state), KEY, 't', 'u', REDIRECT)],
  ['state for someone else', false, async (sb) => es.verifyState(es.authorizeUrl(signIn(sb), KEY, 't', 'u').state, KEY, 't', 'mallory', REDIRECT)],
  ['state key too short', false, async (sb) => es.authorizeUrl(signIn(sb), KEY.slice(0, 10), 't', 'u')],
]

const errorTexts = (err) => {
  const texts = []
  for (let e = err, n = 0; e && n < 10; e = e.cause, n++) {
    texts.push(String(e), e.message ?? '', inspect(e, { depth: 5 }), JSON.stringify(e.details ?? null))
  }
  return texts
}

for (const [name, logs, scenario] of SCENARIOS) {
  test(`no secret in errors, inspected objects or logs: ${name}`, async () => {
    const c = sandbox.credentials
    const live = await es.refreshTokens(signIn(sandbox), c.partnerRefreshToken)
    const secrets = {
      client: c.clientSecret,
      refresh: c.partnerRefreshToken,
      rotated: live.refreshToken,
      access: live.accessToken,
      cipp: c.cippClientSecret,
      key: KEY,
      wrong: 'wrong-secret-' + 'w'.repeat(24),
    }
    const events = []
    es.setLogger((e) => events.push(e), { level: 'trace' })
    let failure
    try {
      const result = await scenario(sandbox, secrets)
      assert.fail(`${name} did not fail: ${inspect(result)}`)
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err
      failure = err
    }
    assert.ok(failure instanceof es.EntraSyncError, `${name}: ${inspect(failure)}`)
    assert.ok(failure.code, name)
    await new Promise((r) => setTimeout(r, 30))
    es.setLogger(null)
    const texts = [
      ...errorTexts(failure),
      inspect(new es.GraphProvider(sandbox.graphSettings()), { depth: 5 }),
      inspect(new es.CippProvider(sandbox.cippSettings()), { depth: 5 }),
      inspect(sandbox, { depth: 5 }),
      ...events.map((e) => JSON.stringify(e)),
    ]
    if (logs) assert.ok(events.length > 0, `${name} logged nothing at trace level`)
    for (const [label, secret] of Object.entries(secrets)) {
      for (const text of texts) {
        assert.ok(!text.includes(secret), `${name}: the ${label} secret leaked into ${text.slice(0, 200)}`)
      }
    }
  })
}
