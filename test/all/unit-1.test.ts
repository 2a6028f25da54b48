// Share 1 of 2 of the unit tier's files, run in this one process (test/all/shares.ts says why).
import { runShare } from './shares.js'

await runShare('unit', 1, 2)
