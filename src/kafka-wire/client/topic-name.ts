/** Kafka's longest topic name (Topic.java MAX_NAME_LENGTH). */
export const MAX_TOPIC_NAME_LENGTH = 249;

/**
 * Why Kafka would refuse `name` as a topic name, or undefined when it would not: Kafka's own rule
 * (clients/.../common/internals/Topic.java): 1 to 249 characters of [a-zA-Z0-9._-], and not "." or
 * "..". A broker answers such a name with INVALID_TOPIC_EXCEPTION, and one longer than 32,767
 * bytes closes the connection. The reason never quotes the name, which may be huge.
 */
export function invalidTopicReason(name: string): string | undefined {
  if (name.length === 0) return 'the empty string is not allowed';
  if (name === '.' || name === '..') return `'${name}' is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `${name.length} characters, more than the ${MAX_TOPIC_NAME_LENGTH} allowed`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const legal = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d;
    if (!legal) return `character ${i} is not one of ASCII alphanumerics, '.', '_' and '-'`;
  }
  return undefined;
}
