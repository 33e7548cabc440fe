// Runs the official Leanplum JS SDK (leanplum-sdk, unmodified) in jsdom against a Lodestar server and prints
// one JSON object: what every SDK callback reported, and every request the SDK sent with the answer it got.
// Env: LODESTAR_URL (http://127.0.0.1:port), LODESTAR_APP_ID, LODESTAR_PRODUCTION_KEY.
'use strict'
const { openBrowser, wait, until, report } = require('./sdk-browser')

const baseUrl = process.env.LODESTAR_URL
const appId = process.env.LODESTAR_APP_ID
const productionKey = process.env.LODESTAR_PRODUCTION_KEY
if (!baseUrl || !appId || !productionKey) {
  console.error('Set LODESTAR_URL, LODESTAR_APP_ID and LODESTAR_PRODUCTION_KEY.')
  process.exit(2)
}

const { window, Leanplum, requests } = openBrowser()

const result = { callbacks: {}, deviceId: null, userId: null, variables: null, inboxIds: null, requests }
const callback = (name) => new Promise((resolve) => {
  result.callbacks[name] = null
  resolve((success) => { result.callbacks[name] = success })
})

async function main() {
  Leanplum.setApiPath(baseUrl + '/api')
  Leanplum.setAppIdForProductionMode(appId, productionKey)
  Leanplum.setAppVersion('2.0.1')
  Leanplum.setRequestBatching(true, 1)
  Leanplum.setVariables({ welcomeMessage: 'Hello (default)', color: 'blue', config: { maxItems: 5 } })

  // Start anonymously, with attributes.
  const started = await callback('start')
  Leanplum.start({ plan: 'free', age: 30 }, started)
  await until(() => result.callbacks.start !== null, 'start')
  result.deviceId = window.localStorage.getItem('__leanplum_device_id')

  // Tracking, batched by the SDK.
  Leanplum.track('Purchase Clicked', 4.99, { item: 'hat' })
  Leanplum.track('Level Up', { level: 3 })
  Leanplum.track('Info Event', 0, 'some info string', { p: 1 })
  Leanplum.trackPurchase(9.99, 'USD', { sku: 'sku-1' })
  Leanplum.setUserAttributes({ plan: 'pro', email: 'u@example.test' })
  Leanplum.advanceTo('Checkout', 'info-x', { step: 1 })
  Leanplum.pauseState()
  Leanplum.resumeState()
  await wait(1500)

  // Log in: the anonymous history becomes the user's.
  Leanplum.setUserId('e2e-user')
  result.userId = Leanplum.getUserId()
  await wait(1200)

  // Content.
  const updated = await callback('forceContentUpdate')
  Leanplum.forceContentUpdate(updated)
  await until(() => result.callbacks.forceContentUpdate !== null, 'forceContentUpdate')
  result.variables = Leanplum.getVariables()

  // Inbox.
  const inbox = Leanplum.inbox()
  result.callbacks.inboxChanged = false
  inbox.onChanged(() => { result.callbacks.inboxChanged = true })
  inbox.downloadMessages()
  await until(() => result.callbacks.inboxChanged, 'inbox download')
  result.inboxIds = inbox.messageIds()
  for (const id of result.inboxIds) inbox.markAsRead(id)
  for (const id of result.inboxIds) inbox.remove(id)
  await wait(1200)

  // Session end.
  Leanplum.pauseSession()
  Leanplum.resumeSession()
  Leanplum.stop()
  await until(() => requests.length > 0 && requests.every((r) => r.done), 'the last answers')
  await wait(200)
  await until(() => requests.every((r) => r.done), 'the last answers')
}

report(main, result)
