/**
 * Runs the controllers as kube-controller-manager does, level-triggered
 * (https://kubernetes.io/docs/concepts/architecture/controller/): any change in the store
 * schedules one pass over every Deployment, ReplicaSet and StatefulSet; a pass that writes
 * something causes another, until nothing changes. Progress deadlines and minReadySeconds
 * schedule a pass on the injected clock. The kubelet sees every pod change.
 */
import type { Clock } from '../clock.ts';
import type { Kubelet } from '../kubelet.ts';
import { resourceByName } from '../resources.ts';
import type { ObjectStore } from '../store.ts';
import { nameOf, namespaceOf } from './common.ts';
import { syncDeployment } from './deployment.ts';
import { syncReplicaSet } from './replicaset.ts';
import { syncStatefulSet } from './statefulset.ts';

export class ControllerManager {
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #kubelet: Kubelet;
  readonly #unsubscribe: () => void;
  #scheduled = false;
  #closed = false;
  #wakeups = new Map<number, () => void>();
  /** Errors a pass threw (a fake's bug, not a cluster's state): tests assert it stays empty. */
  readonly errors: Error[] = [];

  constructor(store: ObjectStore, clock: Clock, kubelet: Kubelet) {
    this.#store = store;
    this.#clock = clock;
    this.#kubelet = kubelet;
    this.#unsubscribe = store.subscribe((e) => {
      if (e.resource.kind === 'Pod') this.#kubelet.podChanged({ store, clock }, e.type, e.object);
      if (e.resource.kind !== 'Event') this.schedule();
    });
  }

  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#closed) this.#pass();
    });
  }

  #wakeAt(at: number): void {
    const key = Math.ceil(at / 1000) * 1000;
    if (this.#wakeups.has(key)) return;
    const cancel = this.#clock.setTimer(
      () => {
        this.#wakeups.delete(key);
        this.schedule();
      },
      Math.max(0, key - this.#clock.now()),
    );
    this.#wakeups.set(key, cancel);
  }

  #pass(): void {
    const s = this.#store;
    const run = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        this.errors.push(e as Error);
      }
    };
    for (const d of s.list(resourceByName('deployments'))) {
      run(() => {
        const fresh = s.get(resourceByName('deployments'), namespaceOf(d), nameOf(d));
        if (fresh === undefined) return;
        const { wakeAt } = syncDeployment(s, this.#clock, fresh);
        if (wakeAt !== undefined) this.#wakeAt(wakeAt);
      });
    }
    for (const rs of s.list(resourceByName('replicasets'))) {
      run(() => {
        const fresh = s.get(resourceByName('replicasets'), namespaceOf(rs), nameOf(rs));
        if (fresh === undefined) return;
        const wake = syncReplicaSet(s, this.#clock, fresh);
        if (wake !== undefined) this.#wakeAt(wake);
      });
    }
    for (const sts of s.list(resourceByName('statefulsets'))) {
      run(() => {
        const fresh = s.get(resourceByName('statefulsets'), namespaceOf(sts), nameOf(sts));
        if (fresh !== undefined) syncStatefulSet(s, this.#clock, fresh);
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    for (const cancel of this.#wakeups.values()) cancel();
    await this.#kubelet.close();
  }
}
