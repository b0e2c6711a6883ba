/**
 * A first-in first-out queue over one growing array with a moving head: push and shift are O(1)
 * amortised and allocate nothing per item once the array has grown (the live part is compacted to the
 * front when the dead prefix passes half of the array).
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(x: T): void {
    this.#items.push(x);
  }

  /** The oldest item (undefined when empty). */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    const items = this.#items;
    if (this.#head >= items.length) return undefined;
    const x = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.copyWithin(0, this.#head);
      items.length -= this.#head;
      this.#head = 0;
    }
    return x;
  }
}
