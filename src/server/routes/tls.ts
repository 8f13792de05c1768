/**
 * APISIX's upstream `tls` object for a Kafka upstream: its presence turns TLS on; `verify`
 * (default false, as in APISIX) checks the broker's chain and name; `client_cert` + `client_key`
 * give mutual TLS. `ca` (trusted CA bundle) and `sni` (server name override) are our extensions.
 * PEM values are parsed here so a bad certificate fails the admin request, not a later connect.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { boolean, fail, fieldPath, object, onlyKeys, string, type JsonObject } from './check.js';
import type { RouteTls } from './route.js';

const HOST_NAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*\.?$/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function tlsOf(v: unknown, field: string): RouteTls {
  const tls = object(v, field);
  // APISIX's client_cert_id points at an SSL object; we have no SSL objects to point at.
  if (tls['client_cert_id'] !== undefined) fail(fieldPath(field, 'client_cert_id'), 'not supported: give client_cert and client_key');
  onlyKeys(tls, field, ['verify', 'client_cert', 'client_key', 'ca', 'sni']);
  const out: RouteTls = { verify: tls['verify'] === undefined ? false : boolean(tls['verify'], fieldPath(field, 'verify')) };
  clientPair(tls, field, out);
  if (tls['ca'] !== undefined) out.ca = caBundle(tls['ca'], fieldPath(field, 'ca'));
  if (tls['sni'] !== undefined) {
    const at = fieldPath(field, 'sni');
    const sni = string(tls['sni'], at, { min: 1 });
    if (!HOST_NAME.test(sni)) fail(at, 'expected a DNS host name');
    out.servername = sni;
  }
  return out;
}

function clientPair(tls: JsonObject, field: string, out: RouteTls): void {
  const certAt = fieldPath(field, 'client_cert');
  const keyAt = fieldPath(field, 'client_key');
  const hasCert = tls['client_cert'] !== undefined;
  const hasKey = tls['client_key'] !== undefined;
  if (!hasCert && !hasKey) return;
  // APISIX's schema makes each of the pair depend on the other.
  if (!hasKey) fail(keyAt, `required with ${certAt}`);
  if (!hasCert) fail(certAt, `required with ${keyAt}`);
  const certPem = string(tls['client_cert'], certAt);
  const keyPem = string(tls['client_key'], keyAt);
  const cert = certificate(certPem, certAt);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    fail(keyAt, 'expected an unencrypted PEM private key');
  }
  if (!cert.checkPrivateKey(key)) fail(keyAt, `does not belong to the certificate in ${certAt}`);
  out.cert = certPem;
  out.key = keyPem;
}

function caBundle(v: unknown, at: string): string {
  const pem = string(v, at);
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) fail(at, 'expected one or more PEM certificates');
  for (const b of blocks) certificate(b, at);
  return pem;
}

function certificate(pem: string, at: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    return fail(at, 'expected a PEM certificate');
  }
}
