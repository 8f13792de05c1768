export { Recorder, type RecorderOptions } from './recorder.js';
export { RecordError } from './errors.js';
export type { Exchange, Manifest, RecordingLabels } from './fixture-writer.js';
export { rewriteAddresses, carriesAddresses, type Address, type AddressMap } from './rewrite.js';
