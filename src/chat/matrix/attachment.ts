/**
 * Files for encrypted rooms (spec: End-to-end encryption, "Sending encrypted attachments"):
 * the file is encrypted with a fresh AES-256-CTR key before upload, and the event carries
 * the key, the IV and the SHA-256 of the ciphertext in `file` instead of a plain `url`. The
 * event itself is then encrypted like any message, so only the room's members can read it.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** The `file` object of an encrypted attachment (EncryptedFile, v2). */
export interface EncryptedFile {
  readonly url: string;
  readonly key: {
    readonly kty: 'oct';
    readonly key_ops: readonly ['encrypt', 'decrypt'];
    readonly alg: 'A256CTR';
    readonly k: string;
    readonly ext: true;
  };
  readonly iv: string;
  readonly hashes: { readonly sha256: string };
  readonly v: 'v2';
}

/** Unpadded base64, as the spec writes the IV and the hash. */
function unpadded(data: Buffer): string {
  return data.toString('base64').replace(/=+$/, '');
}

export function encryptAttachment(plain: Buffer): {
  ciphertext: Buffer;
  file: (url: string) => EncryptedFile;
} {
  const key = randomBytes(32);
  // The top 64 bits random, the 64-bit counter starting at zero (spec: "iv").
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const sha256 = unpadded(createHash('sha256').update(ciphertext).digest());
  return {
    ciphertext,
    file: (url) => ({
      url,
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: key.toString('base64url'),
        ext: true,
      },
      iv: unpadded(iv),
      hashes: { sha256 },
      v: 'v2',
    }),
  };
}
