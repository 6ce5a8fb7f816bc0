import type { Jsonified } from '@leadline/contracts';

/**
 * The type of what Fastify sends for a hub value: JSON.stringify turns Dates into ISO strings. The
 * value is returned as it is; only its type changes, so a controller can declare its response with a
 * @leadline/contracts type and the compiler compares the two.
 */
export function asJson<T>(value: Promise<T>): Promise<Jsonified<T>> {
  return value as Promise<unknown> as Promise<Jsonified<T>>;
}

/** asJson for a value at hand. */
export function jsonOf<T>(value: T): Jsonified<T> {
  return value as unknown as Jsonified<T>;
}
