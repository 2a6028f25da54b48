// Share 2 of 3 of the browser tests of test/browser/, run in this one process with one Chromium (test/all/shares.ts
// says why).
import { runShare } from './shares.js'

await runShare('browser', 2, 3)
