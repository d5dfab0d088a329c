// The partner sign-in against the sandbox's login service (authorize URL with PKCE and a signed
// state, state verification with single-use nonces, code exchange, refresh), and rotated refresh
// tokens reported to `onTokensRotated`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { es } from './helpers.mjs'

const KEY = 'k'.repeat(40)
const REDIRECT = 'https://psa.example/entra/callback'

let sandbox
before(async () => {
  sandbox = await es.Sandbox.start({ tenants: 2, usersPerTenant: 4 })
})
after(async () => {
  await sandbox.shutdown()
})

const settings = () => {
  const c = sandbox.credentials
  return {
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    authority: c.partnerTenantId,
    redirectUri: REDIRECT,
    loginBase: sandbox.loginBaseUrl,
    graphBase: sandbox.graphBaseUrl,
    policy: { baseDelay: 0.001, maxDelay: 0.01 },
  }
}

/** The sandbox's consent screen approves at once: the callback's query. */
function followConsent(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume()
        const location = res.headers.location
        if (res.statusCode < 300 || res.statusCode >= 400 || !location) return reject(new Error(`no redirect: ${res.statusCode}`))
        assert.ok(location.startsWith(REDIRECT))
        resolve(Object.fromEntries(new URL(location).searchParams))
      })
      .on('error', reject)
  })
}

test('the whole sign-in', async () => {
  const start = es.authorizeUrl(settings(), KEY, 'host-tenant', 'user-1')
  const query = Object.fromEntries(new URL(start.url).searchParams)
  assert.equal(query.code_challenge_method, 'S256')
  assert.equal(query.state, start.state)
  assert.ok(start.url.startsWith(sandbox.loginBaseUrl))
  const callback = await followConsent(start.url)
  const claims = await es.verifyState(callback.state, KEY, 'host-tenant', 'user-1', REDIRECT)
  assert.equal(claims.tenant, 'host-tenant')
  assert.equal(claims.user, 'user-1')
  const tokens = await es.exchangeCode(settings(), callback.code, start.codeVerifier)
  assert.ok(tokens.accessToken && tokens.refreshToken && tokens.expiresAt > 0)
  const rotated = await es.refreshTokens(settings(), tokens.refreshToken)
  assert.ok(rotated.refreshToken && rotated.refreshToken !== tokens.refreshToken)
  // The code is single-use, and the error does not quote it.
  await assert.rejects(es.exchangeCode(settings(), callback.code, start.codeVerifier), (e) => e instanceof es.AuthError && !e.message.includes(callback.code))
})

test('state verification failures by code', async () => {
  const start = es.authorizeUrl(settings(), KEY, 'host-tenant', 'user-1')
  const cases = [
    ['other-tenant', 'user-1', REDIRECT, KEY, 'state_tenant_mismatch'],
    ['host-tenant', 'user-2', REDIRECT, KEY, 'state_user_mismatch'],
    ['host-tenant', 'user-1', 'https://evil.example/cb', KEY, 'state_redirect_mismatch'],
    ['host-tenant', 'user-1', REDIRECT, 'z'.repeat(40), 'state_bad_signature'],
  ]
  for (const [tenant, user, redirect, key, code] of cases) {
    await assert.rejects(es.verifyState(start.state, key, tenant, user, redirect), (e) => e instanceof es.AuthError && e.code === code, code)
  }
  await assert.rejects(es.verifyState('not-a-state', KEY, 't', 'u', REDIRECT), (e) => e.code === 'state_malformed')
  await assert.rejects(es.verifyState(start.state, KEY, 'host-tenant', 'user-1', REDIRECT, { ttl: -1 }), (e) => e instanceof es.InvalidInput)
  assert.throws(() => es.authorizeUrl(settings(), 'short', 't', 'u'), (e) => e.code === 'state_weak_key' && !e.message.includes('short'))
})

test('a replayed state is refused through the nonce hook, sync or async', async () => {
  const used = new Map()
  const consumeNonce = async (nonce, expiresAtMs) => {
    if (used.has(nonce)) return false
    used.set(nonce, expiresAtMs)
    return true
  }
  const start = es.authorizeUrl(settings(), KEY, 't', 'u')
  const claims = await es.verifyState(start.state, KEY, 't', 'u', REDIRECT, { consumeNonce })
  assert.deepEqual([...used.keys()], [claims.nonce])
  assert.ok(used.get(claims.nonce) > Date.now())
  await assert.rejects(es.verifyState(start.state, KEY, 't', 'u', REDIRECT, { consumeNonce: (n) => !used.has(n) }), (e) => e.code === 'state_replayed')
  const other = es.authorizeUrl(settings(), KEY, 't', 'u')
  const broken = () => {
    throw new RangeError('cache down: secret-ish detail')
  }
  await assert.rejects(es.verifyState(other.state, KEY, 't', 'u', REDIRECT, { consumeNonce: broken }), (e) => e.code === 'state_nonce_unavailable' && !e.message.includes('secret-ish'))
})

test('a revoked refresh token is an AuthError that does not quote it', async () => {
  const sb = await es.Sandbox.start({ tenants: 1, usersPerTenant: 2 })
  try {
    const token = sb.credentials.partnerRefreshToken
    sb.revokeRefreshTokens()
    const c = sb.credentials
    const s = { clientId: c.clientId, clientSecret: c.clientSecret, authority: c.partnerTenantId, redirectUri: REDIRECT, loginBase: sb.loginBaseUrl, graphBase: sb.graphBaseUrl }
    await assert.rejects(es.refreshTokens(s, token), (e) => e instanceof es.AuthError && e.code === 'refresh_token_expired' && !`${e.message} ${JSON.stringify(e.details)}`.includes(token))
  } finally {
    await sb.shutdown()
  }
})

test('rotated tokens reach onTokensRotated', async () => {
  const seen = []
  const graph = new es.GraphProvider(sandbox.graphSettings(), { onTokensRotated: (t) => seen.push(t) })
  await graph.listManagedTenants()
  assert.ok(seen.length > 0, 'the partner token refresh was not reported')
  const last = seen.at(-1)
  assert.ok(last.refreshToken && last.refreshToken !== sandbox.credentials.partnerRefreshToken)
  assert.ok(last.expiresAt > 0)
})

test('a failing token callback fails the call with token_persist_failed, quoting nothing', async () => {
  const calls = []
  const graph = new es.GraphProvider(sandbox.graphSettings(), {
    onTokensRotated: async (t) => {
      calls.push(t)
      throw new TypeError(`vault unavailable for ${t.refreshToken}`)
    },
  })
  const err = await graph.listManagedTenants().then(
    () => assert.fail('expected a rejection'),
    (e) => e,
  )
  assert.ok(err instanceof es.AuthError)
  assert.equal(err.code, 'token_persist_failed')
  assert.ok(calls.length > 0)
  assert.match(err.message, /onTokensRotated/)
  assert.match(err.message, /TypeError/)
  assert.ok(!err.message.includes('vault unavailable'))
  assert.ok(!err.message.includes(calls[0].refreshToken))
})
