// Share 1 of 2 of the unit tier's files, run in this one process (test/all/unit-tier.ts says why).
import { runUnitTierShare } from './unit-tier.js'

await runUnitTierShare(1, 2)
