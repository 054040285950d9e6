/**
 * The shapes a race of shapes (`rv lease up --gpu G --parts auto`) submits: the lease whole, in two halves, and
 * one GPU a part, as numbers of parts that divide G, fewest first. Under a churn of short 1-GPU jobs one GPU frees
 * long before a whole node does, so 1-GPU parts start first (bench (g)); where a node is idle, the whole lease
 * starts as soon, and tasks that need its GPUs together can run. Halves hedge between them.
 */
export function raceShapes(gpus: number): number[] {
  return [...new Set([1, 2, gpus])].filter((parts) => parts <= gpus && gpus % parts === 0);
}
