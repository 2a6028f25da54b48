import t from 'tap'
import { deviceName, passkeyName } from '../../src/http/device-name.js'

t.test('sessions are named by browser and system, as people name their devices', async t => {
  const cases: [string, string][] = [
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      'Chrome on Linux',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15' +
        ' (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iPhone',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15' +
        ' (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iPad',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox on Windows'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15' +
        ' (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36' +
        ' (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36' +
        ' (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      'Microsoft Edge on Windows',
    ],
    ['curl/8.5.0', 'curl/8.5.0'],
    ['python-requests/2.32.3', 'python-requests/2.32.3'],
    ['x'.repeat(60), `${'x'.repeat(39)}…`],
    ['', 'Unknown device'],
    ['   ', 'Unknown device'],
  ]
  for (const [ua, expected] of cases) t.equal(deviceName(ua), expected, ua || '(empty)')
})

t.test('a new passkey is named after the device it was made on', async t => {
  const cases: [string, string][] = [
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15' +
        ' (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Passkey on iPhone',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36' +
        ' (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
      'Passkey on Android',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Passkey on Windows'],
    ['curl/8.5.0', 'Passkey'],
    ['', 'Passkey'],
  ]
  for (const [agent, name] of cases) t.equal(passkeyName(agent), name, agent || '(no user agent)')
})
