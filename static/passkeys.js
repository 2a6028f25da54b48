// The passkey ceremonies of the login pages (docs/passkeys.md, "Endpoints"), with
// @simplewebauthn/browser (webauthn.js, loaded first). Each is two JSON
// posts: options with a challenge, then what the browser's passkey dialog
// answered. Every passkey control starts hidden and is shown only where the
// browser can use passkeys; without this script the page offers the
// providers alone.
/* global document, window, fetch, FormData, SimpleWebAuthnBrowser */
const { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } =
  SimpleWebAuthnBrowser

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  })
  const answer = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(answer.message || `The server answered ${response.status}; please try again.`)
  return answer
}

/** What went wrong, in the page's words; null when the browser dropped a request another one replaced. */
function why(error) {
  if (error.name === 'AbortError' || error.code === 'ERROR_CEREMONY_ABORTED') return null
  if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED')
    return 'This device already holds a passkey for this account.'
  if (error.name === 'NotAllowedError') return 'The passkey step was cancelled or timed out; nothing was changed.'
  return error.message
}

/**
 * Runs a ceremony for a form or button, its error shown beside it; the
 * button is disabled meanwhile, unless the ceremony waits in the background
 * (autofill) for the person to pick a passkey.
 */
function run(control, ceremony, background = false) {
  const status = control.closest('[data-passkey]').querySelector('[data-passkey-error]')
  const button = control.matches('button') ? control : control.querySelector('button')
  if (!background) button.disabled = true
  status.hidden = true
  return ceremony()
    .then(answer => window.location.assign(answer.redirect))
    .catch(error => {
      // An autofill request that ends without a passkey picked (none kept here, or its time ran out) is no news.
      const text = background && error.name === 'NotAllowedError' ? null : why(error)
      if (text) {
        status.textContent = text
        status.hidden = false
      }
    })
    .finally(() => {
      if (!background) button.disabled = false
    })
}

async function signIn(form, autofill) {
  const options = await post('/login/passkeys/sign-in/options', { next: form.dataset.next })
  const response = await startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill })
  return post('/login/passkeys/sign-in', { response })
}

async function signUp(form) {
  const fields = new FormData(form)
  const options = await post('/login/passkeys/sign-up/options', {
    name: fields.get('name'),
    invitation: fields.get('invitation') || undefined,
    next: form.dataset.next,
  })
  return post('/login/passkeys/sign-up', { response: await startRegistration({ optionsJSON: options }) })
}

async function add() {
  const options = await post('/login/passkeys/add/options', {})
  return post('/login/passkeys/add', { response: await startRegistration({ optionsJSON: options }) })
}

if (browserSupportsWebAuthn()) {
  for (const section of document.querySelectorAll('[data-passkey]')) section.hidden = false
  const signInForm = document.querySelector('form[data-passkey-sign-in]')
  if (signInForm) {
    signInForm.addEventListener('submit', event => {
      event.preventDefault()
      run(signInForm, () => signIn(signInForm, false))
    })
    // The browser offers the site's passkeys in the field's autofill; pressing the button replaces this request.
    browserSupportsWebAuthnAutofill().then(supported => {
      if (supported) run(signInForm, () => signIn(signInForm, true), true)
    })
  }
  for (const form of document.querySelectorAll('form[data-passkey-sign-up]')) {
    form.addEventListener('submit', event => {
      event.preventDefault()
      run(form, () => signUp(form))
    })
  }
  for (const button of document.querySelectorAll('button[data-passkey-add]')) {
    button.addEventListener('click', () => run(button, add))
  }
}
