import { defineMessage } from '../codec.js';
import { array, int16, int32, int8, string } from '../schema.js';

/**
 * FindCoordinator (key 10), versions 0-6, flexible from 3. Schema: FindCoordinatorRequest.json
 * (the same in 3.9.2 and 4.4.0). v1 adds KeyType, v4 batches the keys (KIP-699), v5 and v6 change no
 * field (TRANSACTION_ABORTABLE, KIP-890; share groups, KIP-932).
 *   Key string (0-3), KeyType int8 (1+; 0 group, 1 transaction, 2 share),
 *   CoordinatorKeys [string] (4+)
 */
/** From v4 one request and response carry many coordinators (KIP-699); v0-3 one, at the top level. */
export const FIND_COORDINATOR_BATCHED_SINCE = 4;

export const FindCoordinatorRequest = defineMessage('FindCoordinatorRequest', '0-6', '3+', {
  key: string('0-3'),
  keyType: int8('1+', { default: 0 }),
  coordinatorKeys: array('4+', 'string'),
});

/**
 * Schema: FindCoordinatorResponse.json.
 *   ThrottleTimeMs int32 (1+), ErrorCode int16 (0-3), ErrorMessage nullable string (1-3),
 *   NodeId int32 (0-3), Host string (0-3), Port int32 (0-3),
 *   Coordinators [Key string, NodeId int32, Host string, Port int32, ErrorCode int16,
 *     ErrorMessage nullable string] (4+)
 * Host/Port name the coordinator broker the client connects to next (the recorder rewrites them).
 */
export const FindCoordinatorResponse = defineMessage('FindCoordinatorResponse', '0-6', '3+', {
  throttleTimeMs: int32('1+'),
  errorCode: int16('0-3'),
  errorMessage: string('1-3', { nullable: '1-3' }),
  nodeId: int32('0-3'),
  host: string('0-3'),
  port: int32('0-3'),
  coordinators: array('4+', {
    key: string('4+'),
    nodeId: int32('4+'),
    host: string('4+'),
    port: int32('4+'),
    errorCode: int16('4+'),
    errorMessage: string('4+', { nullable: '4+' }),
  }),
});
