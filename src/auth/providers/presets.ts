import { facebook } from './facebook.js'
import { github } from './github.js'
import type { OAuthPreset } from './preset.js'
import { google } from './google.js'

/** The OAuth presets credentials.json may configure, in the order the sign-in page shows them. */
export const presets: readonly OAuthPreset[] = [google, github, facebook]
