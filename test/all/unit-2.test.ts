// Share 2 of 2 of the unit tier's files, run in this one process (test/all/shares.ts says why).
import { runShare } from './shares.js'

await runShare('unit', 2, 2)
