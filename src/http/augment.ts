declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer errors of this route with an HTML page. */
    html?: boolean
    /** Skip the CSRF origin check (only for endpoints that authenticate otherwise). */
    csrfExempt?: boolean
    /**
     * The answer is read by a reverse proxy (forward-auth), never shown by a browser: no page security headers,
     * which would cost the hottest path a tenth of its time for nothing; and an allowed answer is logged at
     * debug, since the proxy logs the request it stands for (docs/operating.md, "Logs").
     */
    forProxy?: boolean
  }
}

// A module, so that the declaration above adds to Fastify's types instead of replacing them.
export {}
