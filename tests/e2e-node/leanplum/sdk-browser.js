// A fresh browser for the official Leanplum JS SDK (leanplum-sdk, unmodified): a jsdom window with no stored state,
// the SDK loaded into it, and every XMLHttpRequest it sends recorded with the answer it got (the SDK's batched
// calls have no callbacks of their own). Shared by the run-*.js scripts.
'use strict'
const fs = require('fs')
const { JSDOM } = require('jsdom')

function openBrowser() {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', {
    url: 'http://app.example.test/',
    runScripts: 'outside-only',
    pretendToBeVisual: true,
  })
  const window = dom.window

  const requests = []
  const XHR = window.XMLHttpRequest.prototype
  const open = XHR.open
  const send = XHR.send
  XHR.open = function (method, url, ...rest) {
    this.__record = { method, url: String(url) }
    return open.call(this, method, url, ...rest)
  }
  XHR.send = function (body) {
    const record = { ...this.__record, body: body == null ? null : String(body), done: false }
    requests.push(record)
    this.addEventListener('loadend', () => {
      record.status = this.status
      record.response = this.responseText
      record.done = true
    })
    return send.call(this, body)
  }

  window.eval(fs.readFileSync(require.resolve('leanplum-sdk/dist/leanplum.js'), 'utf8'))
  return { window, Leanplum: window.Leanplum, requests }
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition, what, timeoutMs = 15000) {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('Timed out waiting for ' + what)
    await wait(50)
  }
}

/** Runs a script's main and prints its result as one JSON line (with the error, if any); exits 0 on success, 1 on failure. */
function report(main, result) {
  main()
    .then(() => {
      process.stdout.write(JSON.stringify(result) + '\n')
      process.exit(0)
    })
    .catch((error) => {
      result.error = String(error && error.stack || error)
      process.stdout.write(JSON.stringify(result) + '\n')
      process.exit(1)
    })
}

module.exports = { openBrowser, wait, until, report }
