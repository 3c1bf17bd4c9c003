import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import type { TaskStore } from '@a2a-js/sdk/server';

/**
 * The most recent tasks, at most `capacity`: the SDK's InMemoryTaskStore keeps every task for the
 * life of the process, and a channel asking all day would grow it without end. A task older than the
 * last `capacity` is answered "task not found" by tasks/get. One conversation space: the agent has no
 * users of its own to keep apart.
 */
export class RecentTaskStore implements TaskStore {
  readonly #tasks = new Map<string, Task>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#tasks.size;
  }

  async load(taskId: string): Promise<Task | undefined> {
    const task = this.#tasks.get(taskId);
    return task ? structuredClone(task) : undefined;
  }

  async save(task: Task): Promise<void> {
    // Re-inserted, so the Map's order is the order of last change and the first key the stalest.
    this.#tasks.delete(task.id);
    this.#tasks.set(task.id, structuredClone(task));
    while (this.#tasks.size > this.#capacity) {
      const stalest = this.#tasks.keys().next().value;
      if (stalest === undefined) break;
      this.#tasks.delete(stalest);
    }
  }

  async list(params: ListTasksRequest): Promise<ListTasksResponse> {
    const pageSize = params.pageSize || 50;
    const matching = [...this.#tasks.values()]
      .filter((task) => !params.contextId || task.contextId === params.contextId)
      .filter((task) => !params.status || task.status?.state === params.status)
      .reverse();
    return {
      tasks: matching.slice(0, pageSize).map((task) => structuredClone(task)),
      nextPageToken: '',
      pageSize,
      totalSize: matching.length,
    };
  }
}
