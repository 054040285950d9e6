import { type Capacity, type Resources, sortIds } from "./placement.ts";

/** The runner's GPUs and CPUs and which of them are free; a task holds its share until it is settled. */
export class ResourcePool {
  readonly gpus: string[];
  readonly cpus: number;
  private freeGpuSet: Set<string>;
  private freeCpuCount: number;

  constructor(gpus: readonly string[], cpus: number) {
    this.gpus = sortIds(gpus);
    this.cpus = cpus;
    this.freeGpuSet = new Set(this.gpus);
    this.freeCpuCount = cpus;
  }

  get capacity(): Capacity {
    return { gpus: this.gpus.length, cpus: this.cpus };
  }

  get free(): Resources {
    return { gpus: this.freeGpus, cpus: this.freeCpuCount };
  }

  get freeGpus(): string[] {
    return this.gpus.filter((id) => this.freeGpuSet.has(id));
  }

  get freeCpus(): number {
    return this.freeCpuCount;
  }

  /** Takes the lowest free GPU ids; `undefined` (nothing taken) when the request does not fit now. */
  take(gpus: number, cpus: number): string[] | undefined {
    const free = this.freeGpus;
    if (gpus > free.length || cpus > this.freeCpuCount) return undefined;
    const taken = free.slice(0, gpus);
    for (const id of taken) this.freeGpuSet.delete(id);
    this.freeCpuCount -= cpus;
    return taken;
  }

  give(gpus: readonly string[], cpus: number): void {
    for (const id of gpus) this.freeGpuSet.add(id);
    this.freeCpuCount += cpus;
  }
}
