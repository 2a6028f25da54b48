import { chromium } from 'playwright-core'
const t0 = Date.now()
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const p = await b.newPage()
await p.setContent('<p>hi</p>')
console.log(await p.textContent('p'), Date.now() - t0, 'ms', b.version())
await b.close()
