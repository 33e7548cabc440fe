// Runs the official Leanplum JS SDK (leanplum-sdk, unmodified) in jsdom against a Lodestar server, as one user,
// and records every in-app message the SDK hands to its 'showMessage' handler and what it did with it.
// Env: LODESTAR_URL, LODESTAR_APP_ID, LODESTAR_PRODUCTION_KEY, LODESTAR_USER_ID, LODESTAR_PLAN (a user attribute).
// Prints one JSON object: {received, shown: [{afterEvent, messageId, vars}], openedUrls, requests, error?}.
'use strict'
const { openBrowser, wait, until, report } = require('./sdk-browser')

const baseUrl = process.env.LODESTAR_URL
const appId = process.env.LODESTAR_APP_ID
const productionKey = process.env.LODESTAR_PRODUCTION_KEY
const userId = process.env.LODESTAR_USER_ID
const plan = process.env.LODESTAR_PLAN || 'free'
if (!baseUrl || !appId || !productionKey || !userId) {
  console.error('Set LODESTAR_URL, LODESTAR_APP_ID, LODESTAR_PRODUCTION_KEY and LODESTAR_USER_ID.')
  process.exit(2)
}

const { window, Leanplum, requests } = openBrowser()

const result = { started: null, received: null, shown: [], openedUrls: [], requests }

let lastEvent = '(start)'
async function main() {
  Leanplum.setApiPath(baseUrl + '/api')
  Leanplum.setAppIdForProductionMode(appId, productionKey)
  Leanplum.setAppVersion('2.0.1')
  Leanplum.setRequestBatching(true, 1)

  // The app's message handler, as an app using the SDK registers it: record it, count an impression, accept.
  Leanplum.on('showMessage', ({ message, context }) => {
    result.shown.push({ afterEvent: lastEvent, messageId: message.messageId, vars: JSON.parse(JSON.stringify(message)) })
    context.track()
    context.runTrackedActionNamed('Accept action')
  })
  Leanplum.on('openUrl', (navigation) => {
    result.openedUrls.push(navigation.url)
    navigation.preventDefault()
  })

  Leanplum.start(userId, { plan }, (success) => { result.started = success })
  await until(() => result.started !== null, 'start')
  result.received = JSON.parse(window.localStorage.getItem('__leanplum_message_cache') || 'null')

  // An event no message waits for, then the one the message is triggered by, twice (limited to once a session).
  for (const event of ['Something Else', 'Purchase Clicked', 'Purchase Clicked']) {
    lastEvent = event
    Leanplum.track(event, 1)
    await wait(300)
  }

  await wait(1500)
  await until(() => requests.length > 0 && requests.every((r) => r.done), 'the last answers')
}

report(main, result)
