/**
 * Opens the Mattermost WebSocket for the adapter (its `newWebSocket` seam) and remembers the
 * newest one, so /metrics can tell whether the live connection is up without asking the
 * adapter: the client opens a new socket on every reconnect.
 */
export class SocketWatch {
  #current: WebSocket | undefined;

  readonly open = (url: string): WebSocket => {
    const socket = new WebSocket(url);
    this.#current = socket;
    return socket;
  };

  get up(): boolean {
    return this.#current?.readyState === WebSocket.OPEN;
  }
}
