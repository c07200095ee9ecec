// The pure choice of which waiting priority a free slot takes.
import type { Priority } from "../protocol/subjects.ts";

/** After this many starts in a row that passed over a waiting lower-priority job, the lower one goes next. */
export const FAIRNESS_EVERY = 5;

/**
 * High before normal before low, except that once FAIRNESS_EVERY starts in a row have passed over a
 * waiting lower-priority job, the lowest waiting priority goes next: under a flood of high jobs,
 * normal and low still get at least one slot in every FAIRNESS_EVERY + 1 starts. Returns the new streak.
 */
export function pickPriority(waiting: Record<Priority, boolean>, streak: number): { priority: Priority; streak: number } {
  const order: Priority[] = ["high", "normal", "low"];
  const present = order.filter((p) => waiting[p]);
  if (!present.length) throw new Error("pickPriority: nothing is waiting");
  const best = present[0]!;
  const passedOver = present.length > 1;
  if (!passedOver) return { priority: best, streak: 0 };
  if (streak >= FAIRNESS_EVERY) return { priority: present[present.length - 1]!, streak: 0 };
  return { priority: best, streak: streak + 1 };
}
