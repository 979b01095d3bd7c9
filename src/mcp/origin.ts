/**
 * DNS-rebinding and cross-site protection for MCP routes (MCP transports: servers MUST validate
 * `Origin`). A request without `Origin` (every non-browser client) passes; a browser request
 * passes only from this server's own origin or one listed in `ALLOWED_ORIGINS`.
 */
export function foreignOriginResponse(request: Request, allowedOrigins: string | undefined): Response | null {
  const origin = request.headers.get('Origin');
  if (origin === null) return null;
  if (origin === new URL(request.url).origin) return null;
  if (allowedOrigins?.split(',').some((allowed) => allowed.trim() === origin)) return null;
  return Response.json(
    {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: `Forbidden: requests from origin ${origin} are not allowed.` },
    },
    { status: 403 },
  );
}
