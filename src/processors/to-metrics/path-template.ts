/** What an identifier-like path segment is replaced with. */
export const ID_PLACEHOLDER = '{id}';

const ANY_DIGIT = /\d/;
const DIGITS = /^\d+$/;
/** (A UUID without a single decimal digit is vanishingly rare, and kept.) */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Hashes, object ids: 8+ hex digits with at least one decimal digit (so "deadbeef" is a word). */
const HEX_ID = /^(?=[a-f]*\d)[0-9a-f]{8,}$/i;
/** Tokens, base64/base64url: 20+ such characters mixing letters and digits. */
const TOKEN = /^(?=.*\d)(?=.*[a-z])[a-z0-9_=+.~-]{20,}$/i;

function isIdentifier(segment: string): boolean {
  return DIGITS.test(segment) || UUID.test(segment) || HEX_ID.test(segment) || TOKEN.test(segment);
}

/**
 * A low-cardinality template of a URL path (OpenTelemetry's `url.template`): segments that
 * look like identifiers (numbers, UUIDs, long hex, token-like strings) become `{id}`, so
 * `/users/42/orders/9f1c…` and `/users/7/orders/03ab…` share `/users/{id}/orders/{id}`.
 * Every rule wants a digit, so a path without one is returned as is, without splitting.
 */
export function templatePath(path: string): string {
  if (!ANY_DIGIT.test(path)) return path;
  const segments = path.split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] !== '' && isIdentifier(segments[i])) {
      segments[i] = ID_PLACEHOLDER;
      changed = true;
    }
  }
  return changed ? segments.join('/') : path;
}
