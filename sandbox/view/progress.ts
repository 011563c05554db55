/** A tiny progress bar: `[#######.......]  7/14  50%`. */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total <= 0 ? 0 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.floor(ratio * 100)}%`;
}
