// Watches a plugins directory and calls back once per burst of changes (an editor's save is several events).
import { watch, type FSWatcher } from "node:fs";

export interface DirWatcher {
  close(): void;
}

/** Calls `onChange(files)` `debounceMs` after the last change under `dir` (recursive). */
export function watchDir(dir: string, debounceMs: number, onChange: (files: string[]) => void): DirWatcher {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const changed = new Set<string>();
  const w: FSWatcher = watch(dir, { recursive: true }, (_event, file) => {
    if (file) changed.add(String(file));
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const files = [...changed].sort();
      changed.clear();
      onChange(files);
    }, debounceMs);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      w.close();
    },
  };
}
