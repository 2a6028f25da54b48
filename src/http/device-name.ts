import Bowser from 'bowser'

/** Longest raw user agent shown when the parser recognises nothing in it. */
const RAW_LENGTH = 40

/**
 * A session's device as people name it: "Chrome on Linux", "Safari on
 * iPhone". Apple phones and tablets are named by model (their system is
 * iOS either way); anything the parser does not know, a script or a
 * command-line client, shows the start of its user agent.
 */
export function deviceName(userAgent: string): string {
  const ua = userAgent.trim()
  if (!ua) return 'Unknown device'
  const { browser, os, platform } = Bowser.parse(ua)
  const where = placeOf(os, platform)
  if (browser.name && where) return `${browser.name} on ${where}`
  if (browser.name) return browser.name
  if (where) return `A browser on ${where}`
  return ua.length > RAW_LENGTH ? `${ua.slice(0, RAW_LENGTH - 1)}…` : ua
}

/** The device itself, without the browser: an Apple model, else the system ("iPhone", "Android", "Linux"). */
function placeOf(os: Bowser.Parser.OSDetails, platform: Bowser.Parser.PlatformDetails): string | undefined {
  return platform.vendor === 'Apple' && platform.model ? platform.model : os.name
}

/**
 * What a new passkey is called until its owner renames it: the device it
 * was made on ("Passkey on iPhone"), which is where people look for it.
 */
export function passkeyName(userAgent: string): string {
  const { os, platform } = Bowser.parse(userAgent.trim() || ' ')
  const where = placeOf(os, platform)
  return where ? `Passkey on ${where}` : 'Passkey'
}
