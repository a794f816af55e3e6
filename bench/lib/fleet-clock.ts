/**
 * A simulated clock for thousands of actors at once. XState's `SimulatedClock` sorts every pending
 * timer on each `set()` and restarts its flush whenever a fired timer arms another, which is fine
 * for one agent and quadratic for ten thousand; this one keeps its timers in a binary heap. It has
 * the clock interface actors take (`setTimeout`, `clearTimeout`) and a `now()` for the machines.
 */

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FleetClock {
  #now: number;
  #nextId = 1;
  #seq = 0;
  #heap: Timer[] = [];
  /** Live timers by id; a cleared timer stays in the heap until popped or compacted. */
  readonly #live = new Map<number, Timer>();

  constructor(startAt: number) {
    this.#now = startAt;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, delayMs: number): number {
    const id = this.#nextId++;
    if (!Number.isFinite(delayMs)) return id;
    const timer: Timer = { id, at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn };
    this.#live.set(id, timer);
    this.#push(timer);
    if (this.#heap.length > 1_024 && this.#heap.length > 3 * this.#live.size) this.compact();
    return id;
  }

  clearTimeout(id: unknown): void {
    this.#live.delete(id as number);
  }

  get pending(): number {
    return this.#live.size;
  }

  /** Drops cleared timers from the heap (they would otherwise count as memory of the actors). */
  compact(): void {
    this.#heap = [...this.#live.values()].sort(compare);
  }

  nextDueAt(): number | undefined {
    this.#dropCleared();
    return this.#heap[0]?.at;
  }

  /**
   * Moves to `at`, firing timers in due order; after all the timers of one instant have fired,
   * awaits `settle` (promise actors resolve, their results are processed) before moving on.
   */
  async advanceTo(at: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      const dueAt = this.nextDueAt();
      if (dueAt === undefined || dueAt > at) break;
      this.#now = Math.max(this.#now, dueAt);
      for (;;) {
        this.#dropCleared();
        const top = this.#heap[0];
        if (!top || top.at > this.#now) break;
        this.#pop();
        this.#live.delete(top.id);
        top.fn();
      }
      await settle();
    }
    this.#now = Math.max(this.#now, at);
  }

  #dropCleared(): void {
    while (this.#heap.length > 0 && !this.#live.has((this.#heap[0] as Timer).id)) this.#pop();
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[parent] as Timer, timer) <= 0) break;
      heap[i] = heap[parent] as Timer;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Timer;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && compare(heap[right] as Timer, heap[left] as Timer) < 0 ? right : left;
      if (compare(heap[child] as Timer, last) >= 0) break;
      heap[i] = heap[child] as Timer;
      i = child;
    }
    heap[i] = last;
  }
}

function compare(a: Timer, b: Timer): number {
  return a.at - b.at || a.seq - b.seq;
}
