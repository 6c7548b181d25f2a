// A minimal event emitter for the vscode-free modules (VS Code's EventEmitter has the same shape of use).
export type Listener<T> = (value: T) => void;

export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private listeners: Listener<T>[] = [];

  /** Subscribe; the returned disposable unsubscribes. */
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        // One failing listener must not starve the others.
        console.error(error);
      }
    }
  }

  dispose(): void {
    this.listeners = [];
  }
}
