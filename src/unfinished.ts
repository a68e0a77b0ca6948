/**
 * A readonly object while it is built key by key, in the order its readers expect (JSON plans
 * keep their keys' order): the planner's hot paths assign optional keys one by one, where a spread
 * of each would cost a temporary object and a copy in every one of thousands of units.
 */
export type Unfinished<T> = { -readonly [K in keyof T]?: T[K] };
