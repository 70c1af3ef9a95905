/**
 * A URL with its password masked (`***`), for messages and logs; an unparseable URL is shown as its
 * scheme only, so a password in it never reaches a message.
 *
 * @example
 * redactUrl('redis://:pw@db:6379') // 'redis://:***@db:6379'
 * redactUrl('postgres://u:pw@db/faces') // 'postgres://u:***@db/faces'
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url)?.[1] ?? '';
    return `${scheme}(unparseable URL)`;
  }
}
