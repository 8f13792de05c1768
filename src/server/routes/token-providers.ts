import { createHash } from 'node:crypto';
import { clientCredentialsTokenProvider, type ClientCredentialsOptions, type OAuthTokenProvider } from '../../kafka-wire/index.js';

/**
 * One client credentials provider per distinct grant (URL, id, secret, scope, audience, client
 * authentication), shared by every route that names it. The provider is the registry's key for a
 * Kafka client (by identity), so sharing it keeps one client and one cached token across route
 * updates that leave the credentials alone, and across routes with the same credentials, as a
 * password does. Held weakly: a provider no route uses any more is collected, and its entry goes.
 * Keys are SHA-256 digests, so no secret is kept as a map key.
 */
const byGrant = new Map<string, WeakRef<OAuthTokenProvider>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (byGrant.get(key)?.deref() === undefined) byGrant.delete(key);
});

type Grant = Pick<ClientCredentialsOptions, 'tokenUrl' | 'clientId' | 'clientSecret' | 'scope' | 'audience' | 'clientAuthentication'>;

/** The provider for `grant`, made on first use. @throws OAuthTokenError KWIRE_ERR_OAUTH_CONFIG for unusable options. */
export function sharedClientCredentialsProvider(grant: Grant): OAuthTokenProvider {
  const { tokenUrl, clientId, clientSecret, scope, audience, clientAuthentication } = grant;
  const key = createHash('sha256').update(JSON.stringify([tokenUrl, clientId, clientSecret, scope ?? null, audience ?? null, clientAuthentication ?? 'basic'])).digest('base64');
  const known = byGrant.get(key)?.deref();
  if (known !== undefined) return known;
  const made = clientCredentialsTokenProvider(grant);
  byGrant.set(key, new WeakRef(made));
  forget.register(made, key);
  return made;
}
