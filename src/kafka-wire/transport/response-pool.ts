import { BufferPool } from '../primitives/buffer-pool.js';

/**
 * The memory of broker responses, shared by every connection of the process. A response stays
 * alive while anything decoded from it does (record keys and values are views of it), so only its
 * owner can give it back: KafkaClient's `FetchResult.release()`. Responses nobody releases are
 * collected as usual.
 */
export const responsePool = new BufferPool({ minBytes: 8 * 1024, maxFreeBytes: 32 * 1024 * 1024 });
