/**
 * A first-in first-out queue over a ring buffer whose capacity is a power of two: push and shift are
 * O(1) and allocate nothing per item once the ring has grown to the queue's high-water mark (it doubles
 * when full and never shrinks). An empty queue keeps its ring, so a queue that fills and drains one
 * item at a time (a link's in-order deliveries) never touches the allocator.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(8).fill(undefined);
  #mask = 7;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(x: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = x;
    this.#length++;
  }

  /** The oldest item (undefined when empty). */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const h = this.#head;
    const x = items[h];
    items[h] = undefined; // do not keep a delivered frame alive
    this.#head = (h + 1) & this.#mask;
    this.#length--;
    return x;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length;
    const items = new Array<T | undefined>(cap * 2).fill(undefined);
    for (let i = 0; i < cap; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = cap * 2 - 1;
    this.#head = 0;
  }
}
