/**
 * Keys this process wrote in the last few seconds. On a cluster, a read right after a write
 * may reach a node that does not have the object yet (one rejoining, still healing): a 404 for
 * a key written moments ago is worth asking another node about before it reaches the caller
 * (SignedHttp). Other replicas' writes are not known here; a node's recent rejoin covers them.
 */
export class RecentWrites {
  /** Key -> when its write began. Map order is insertion order: the oldest goes first. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly lifetimeMs = 10_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** An object is about to be written at `key`. */
  add(bucket: string, key: string): void {
    const id = `${bucket}/${key}`;
    this.written.delete(id);
    this.written.set(id, this.now());
    const oldest = this.now() - this.lifetimeMs;
    for (const [entry, at] of this.written) {
      if (at >= oldest && this.written.size <= this.capacity) break;
      this.written.delete(entry);
    }
  }

  /** Whether a write of `key` began within the lifetime. */
  has(bucket: string, key: string): boolean {
    const at = this.written.get(`${bucket}/${key}`);
    return at !== undefined && this.now() - at < this.lifetimeMs;
  }
}
