// Origin check (spec §5.3): no Origin header, an allow-listed origin, or same scheme and host as the request.

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowedOrigins: readonly string[],
  tls = false,
): boolean {
  if (origin === undefined || origin === "") return true;
  if (allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const scheme = tls ? "https:" : "http:";
  return url.protocol === scheme && host !== undefined && url.host === host.toLowerCase();
}
