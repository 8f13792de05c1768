#!/usr/bin/env node
// Bundles the client SDK (src/client) with protobufjs into one browser ES module:
// dist/browser/kafka-ws-proxy-client.js. Run by scripts/build.mjs after tsc.
// Usage: node scripts/bundle-client.mjs [outfile]
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_PATH = `${root}dist/browser/kafka-ws-proxy-client.js`;

// protobufjs's util/minimal.js does `require("long")` inside a try. Bundled, that would ship the
// `long` package, which the SDK does not need (its codec reads int64 into bigints itself); we
// resolve it to null instead. ("fs" is already mapped away by protobufjs's "browser" field.)
const noLong = {
  name: 'no-long',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'kwp-no-long' }));
    b.onLoad({ filter: /.*/, namespace: 'kwp-no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

/** Builds the bundle into `outfile` (default dist/browser/kafka-ws-proxy-client.js); returns its path. */
export async function bundleClient(outfile = BUNDLE_PATH) {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  await build({
    entryPoints: [`${root}src/client/index.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: false,
    sourcemap: true,
    legalComments: 'inline',
    banner: { js: `// kafka-ws-proxy/client ${version}: PubSub client for browsers (ES module, protobufjs included). Apache-2.0; protobufjs BSD-3-Clause.` },
    plugins: [noLong],
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundleClient(process.argv[2]);
}
