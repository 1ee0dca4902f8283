import { DIGEST_BYTES } from '../protocol/frameDigest.ts';

/**
 * The digests of the frames a RoomHistory keeps, and which frame each names, without a string or
 * an object per frame: the digests are bytes in a ring beside the history's (frame `seq` at
 * `seq & mask`), and the index is open addressing over frame numbers in a Float64Array. Tens of
 * thousands of digest strings and map entries, made as frames were hashed and kept for as long
 * as the frames, were scattered over the old generation's pages and kept them from being given
 * back: the soak's hub stayed 35 MiB above where it idled without them.
 *
 * A digest is the first 12 bytes of a SHA-256, so its first four bytes are already a good hash.
 */
export class DigestIndex {
  private bytes = new Uint8Array(0);
  private mask = -1;
  /** Frame numbers by their digest's hash; 0 is an empty slot (frames are numbered from 1). */
  private slots = new Float64Array(0);
  private slotMask = -1;

  /**
   * Makes room for `capacity` frames (a power of two, the history's ring), keeping the digests of
   * frames `from … through` and indexing them again, in order, so that the newest copy of a
   * frame relayed twice is the one found.
   */
  resize(capacity: number, from: number, through: number): void {
    const bytes = new Uint8Array(capacity * DIGEST_BYTES);
    const mask = capacity - 1;
    for (let seq = from; seq <= through; seq++) bytes.set(this.digestAt(seq), (seq & mask) * DIGEST_BYTES);
    this.bytes = bytes;
    this.mask = mask;
    // At most half full, so that probes stay short.
    this.slots = new Float64Array(capacity * 2);
    this.slotMask = capacity * 2 - 1;
    for (let seq = from; seq <= through; seq++) this.index(seq);
  }

  /** Keeps frame `seq`'s digest (its first DIGEST_BYTES bytes of `digest`) and indexes it. */
  set(seq: number, digest: Uint8Array): void {
    this.bytes.set(digest.subarray(0, DIGEST_BYTES), (seq & this.mask) * DIGEST_BYTES);
    this.index(seq);
  }

  /** The digest of frame `seq`, which must have been set and not removed since. */
  digestAt(seq: number): Uint8Array {
    const at = (seq & this.mask) * DIGEST_BYTES;
    return this.bytes.subarray(at, at + DIGEST_BYTES);
  }

  /** The newest frame with this digest, if one is indexed. */
  find(digest: Uint8Array): number | undefined {
    for (let slot = hashOf(digest, 0) & this.slotMask; ; slot = (slot + 1) & this.slotMask) {
      const seq = this.slots[slot]!;
      if (seq === 0) return undefined;
      if (this.sameDigest(seq, digest)) return seq;
    }
  }

  /** Forgets frame `seq` (going from the history), unless a newer copy of it took its place. */
  remove(seq: number): void {
    const digest = this.digestAt(seq);
    let hole = hashOf(digest, 0) & this.slotMask;
    for (; ; hole = (hole + 1) & this.slotMask) {
      const found = this.slots[hole]!;
      if (found === 0) return;
      if (found === seq) break;
      if (this.sameDigest(found, digest)) return;
    }
    // Backward-shift deletion: later entries of the probe sequence move up into the hole.
    this.slots[hole] = 0;
    for (let slot = (hole + 1) & this.slotMask; ; slot = (slot + 1) & this.slotMask) {
      const seq = this.slots[slot]!;
      if (seq === 0) return;
      const home = this.homeOf(seq);
      // It may move to the hole unless its home lies cyclically in (hole, slot].
      const stays = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (stays) continue;
      this.slots[hole] = seq;
      this.slots[slot] = 0;
      hole = slot;
    }
  }

  private index(seq: number): void {
    const digest = this.digestAt(seq);
    for (let slot = hashOf(digest, 0) & this.slotMask; ; slot = (slot + 1) & this.slotMask) {
      const found = this.slots[slot]!;
      if (found === 0 || this.sameDigest(found, digest)) {
        this.slots[slot] = seq;
        return;
      }
    }
  }

  private homeOf(seq: number): number {
    return hashOf(this.bytes, (seq & this.mask) * DIGEST_BYTES) & this.slotMask;
  }

  private sameDigest(seq: number, digest: Uint8Array): boolean {
    const at = (seq & this.mask) * DIGEST_BYTES;
    for (let k = 0; k < DIGEST_BYTES; k++) if (this.bytes[at + k] !== digest[k]) return false;
    return true;
  }
}

function hashOf(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
