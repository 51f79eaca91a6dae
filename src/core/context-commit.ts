/**
 * The point of no return of a job's work. Past it the work is done in substance (a backup
 * stored whole and marked good, an update whose new containers are all healthy), and what
 * follows only tidies up; a cancel that arrives then can no longer undo anything, so the job
 * runner must not report the job as cancelled (job-runner.ts). The mark is kept on the job's
 * own AbortSignal, the one thing every layer of the work already receives.
 */
const committed = new WeakSet<AbortSignal>();

/** Says that the work of the job owning `signal` can no longer be put back. */
export function passPointOfNoReturn(signal: AbortSignal | undefined): void {
  if (signal !== undefined) committed.add(signal);
}

/** True once the work said it is past its point of no return. */
export function pastPointOfNoReturn(signal: AbortSignal): boolean {
  return committed.has(signal);
}

/** Added to the outcome of a job whose cancel came after its point of no return. */
export const lateCancelText = {
  ru: 'Отмена пришла, когда работа уже была завершена: она выполнена полностью.',
  en: 'The cancel came after the work was complete: it was carried out in full.',
} as const;
