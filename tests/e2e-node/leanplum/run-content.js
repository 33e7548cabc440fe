// Runs the official Leanplum JS SDK (leanplum-sdk, unmodified) in a fresh jsdom (a fresh browser: no stored
// state) against a Lodestar server: starts as LODESTAR_USER_ID, then runs LODESTAR_STEPS (comma-separated:
// download, read, delete) on the app inbox. Prints one JSON object: the merged variables and variants after
// start, an inbox snapshot after every download, and every request with its answer.
// Env: LODESTAR_URL, LODESTAR_APP_ID, LODESTAR_PRODUCTION_KEY, LODESTAR_USER_ID, LODESTAR_STEPS.
'use strict'
const { openBrowser, wait, until, report } = require('./sdk-browser')

const baseUrl = process.env.LODESTAR_URL
const appId = process.env.LODESTAR_APP_ID
const productionKey = process.env.LODESTAR_PRODUCTION_KEY
const userId = process.env.LODESTAR_USER_ID
const steps = (process.env.LODESTAR_STEPS || '').split(',').filter((s) => s)
if (!baseUrl || !appId || !productionKey || !userId) {
  console.error('Set LODESTAR_URL, LODESTAR_APP_ID, LODESTAR_PRODUCTION_KEY and LODESTAR_USER_ID.')
  process.exit(2)
}

const { window, Leanplum, requests } = openBrowser()

const result = { started: null, variables: null, variants: null, inbox: [], requests }
const settled = () => until(() => requests.every((r) => r.done), 'the answers')

async function main() {
  Leanplum.setApiPath(baseUrl + '/api')
  Leanplum.setAppIdForProductionMode(appId, productionKey)
  Leanplum.setAppVersion('2.0.1')
  Leanplum.setRequestBatching(true, 1)
  Leanplum.setVariables({ greeting: 'Hello', color: 'blue', config: { maxItems: 5 } })

  const inbox = Leanplum.inbox()
  let changes = 0
  inbox.onChanged(() => { changes++ })

  Leanplum.start(userId, {}, (success) => { result.started = success })
  await until(() => result.started !== null, 'start')
  result.variables = Leanplum.getVariables()
  result.variants = Leanplum.getVariants()

  for (const step of steps) {
    if (step === 'download') {
      const before = changes
      inbox.downloadMessages()
      await until(() => changes > before, 'the inbox download')
      result.inbox.push(inbox.allMessages().map((m) => ({
        id: m.id(), title: m.title(), subtitle: m.subtitle(), imageUrl: m.imageUrl(), data: m.data(),
        timestamp: m.timestamp(), isRead: m.isRead(), openAction: m.openAction(),
      })))
    } else if (step === 'read') {
      for (const id of inbox.messageIds()) inbox.markAsRead(id)
      await wait(1500)
    } else if (step === 'delete') {
      for (const id of inbox.messageIds()) inbox.remove(id)
      await wait(1500)
    } else {
      throw new Error('Unknown step ' + step)
    }
  }

  await wait(200)
  await settled()
}

report(main, result)
