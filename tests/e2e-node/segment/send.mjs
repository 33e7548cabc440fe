// Sends a realistic session through the real @segment/analytics-node library to Lodestar and prints what the
// library reported, as JSON, for the xunit test to check. Env: LODESTAR_URL, WRITE_KEY.
import { Analytics } from '@segment/analytics-node'

const analytics = new Analytics({
  writeKey: process.env.WRITE_KEY,
  host: process.env.LODESTAR_URL,
  flushAt: 4,
  flushInterval: 200,
  maxRetries: 2,
})

const errors = []
const delivered = []
analytics.on('error', (err) => errors.push(String(err?.reason ?? err?.message ?? err)))
analytics.on('http_request', (req) => {
  const body = typeof req.body === 'string' ? JSON.parse(req.body) : req.body
  delivered.push(body?.batch?.length ?? 0)
})

const anon = 'e2e-anon-1'
const user = 'e2e-user-1'
const device = { id: 'e2e-device', model: 'iPhone15,2', manufacturer: 'Apple', type: 'ios', token: 'apns-e2e-token' }
const context = { device, os: { name: 'iOS', version: '17.4' }, app: { version: '5.2.0' }, locale: 'fr-FR', timezone: 'Europe/Paris' }

analytics.identify({ anonymousId: anon, traits: { plan: 'free', referrer: 'ad' }, context })
analytics.page({ anonymousId: anon, name: 'Pricing', properties: { path: '/pricing' }, context })
analytics.track({ anonymousId: anon, event: 'Add To Cart', properties: { sku: 'sku-9', price: 19.99 }, context })
analytics.identify({ userId: user, anonymousId: anon, traits: { plan: 'pro', email: 'e2e@example.test' }, context })
analytics.track({ userId: user, event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' }, context })
analytics.track({ userId: user, event: 'Order Completed', messageId: 'e2e-fixed-id', properties: { revenue: 1 }, context })
analytics.track({ userId: user, event: 'Order Completed', messageId: 'e2e-fixed-id', properties: { revenue: 1 }, context })
analytics.screen({ userId: user, name: 'Receipt', context })
analytics.group({ userId: user, groupId: 'team-42', traits: { seats: 5 } })
analytics.alias({ userId: user, previousId: 'e2e-legacy-id' })

await analytics.closeAndFlush({ timeout: 15000 })
console.log(JSON.stringify({ errors, delivered }))
