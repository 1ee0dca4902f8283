import { describe, expect, it } from 'vitest';
import {
  admissionKeyOf,
  admissionSeed,
  publicKeyOf,
  verifySignature,
} from '../../src/crypto/admissionKey.ts';
import { AdmitFileError, AdmitList } from '../../src/crypto/admitList.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { challengeLine, parseAnswer, signedMessage } from '../../src/protocol/admission.ts';
import { OTHER_KEY, TEST_KEY } from '../support/testKey.ts';

// The test vector of docs/protocol.md ("Admission"), computed by Python's cryptography from the
// description (HKDF-SHA256, empty salt, info fernet-chat/admission/v1; Ed25519 from the seed).
// The chat key is the Fernet specification's test key.
const VECTOR = {
  key: TEST_KEY,
  seed: 'b8571c381d5fa0e5a03735ac84b9b22e856c00d26c90ef92ee56eceadd057c0d',
  publicKey: 'UYiti6m0KX99lAhR3GdCkKioLb0iNnxFZimulf3RTJU',
  hubName: 'chat.example.org',
  nonce: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  message: 'fernet-chat/admission/v1 chat.example.org AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  signature: 'T_vTrCYavQ1vb_yawbwxHKGeEcw7fw81ayGhNTPz_OXA0EIrjqJqfAkSbi8G1Mtm5vJIuzvSRYQykxTOrwnPAA',
};

describe('the admission key', () => {
  it('follows the published test vector', () => {
    const key = FernetKey.parse(VECTOR.key);
    expect(admissionSeed(key).toString('hex')).toBe(VECTOR.seed);
    const admission = admissionKeyOf(key);
    expect(admission.publicKey).toBe(VECTOR.publicKey);
    expect(signedMessage(VECTOR.hubName, VECTOR.nonce).toString()).toBe(VECTOR.message);
    expect(admission.sign(Buffer.from(VECTOR.message))).toBe(VECTOR.signature);
    expect(
      verifySignature(publicKeyOf(VECTOR.publicKey)!, Buffer.from(VECTOR.message), VECTOR.signature),
    ).toBe(true);
  });

  it('differs for another chat key, and a signature holds for its own message only', () => {
    const ours = admissionKeyOf(FernetKey.parse(TEST_KEY));
    const theirs = admissionKeyOf(FernetKey.parse(OTHER_KEY));
    expect(theirs.publicKey).not.toBe(ours.publicKey);
    const message = Buffer.from(VECTOR.message);
    const key = publicKeyOf(ours.publicKey)!;
    expect(verifySignature(key, message, theirs.sign(message))).toBe(false);
    expect(verifySignature(key, Buffer.from(`${VECTOR.message}x`), ours.sign(message))).toBe(false);
    expect(verifySignature(key, message, 'A'.repeat(86))).toBe(false);
    expect(verifySignature(key, message, 'not base64url!')).toBe(false);
  });

  it('reads public keys in their one canonical spelling only', () => {
    expect(publicKeyOf(VECTOR.publicKey)).toBeDefined();
    expect(publicKeyOf(`${VECTOR.publicKey}=`)).toBeUndefined();
    expect(publicKeyOf(VECTOR.publicKey.slice(0, 42))).toBeUndefined();
    // The last character carries 2 unused bits: a spelling with them set is another text for the same key.
    expect(publicKeyOf(`${VECTOR.publicKey.slice(0, 42)}V`)).toBeUndefined();
  });
});

describe('AdmitList', () => {
  const list = AdmitList.parse(`# our group\n\n${VECTOR.publicKey}   # key 1\n`, 'admit.keys');

  it('admits a signature by a key on the list, and says why it does not admit others', () => {
    const message = Buffer.from(VECTOR.message);
    const member = admissionKeyOf(FernetKey.parse(TEST_KEY));
    const outsider = admissionKeyOf(FernetKey.parse(OTHER_KEY));
    expect(list.check([{ publicKey: member.publicKey, signature: member.sign(message) }], message)).toEqual({
      ok: true,
      publicKey: member.publicKey,
    });
    expect(
      list.check([{ publicKey: outsider.publicKey, signature: outsider.sign(message) }], message),
    ).toEqual({
      ok: false,
      why: 'unknown-key',
    });
    expect(list.check([{ publicKey: member.publicKey, signature: outsider.sign(message) }], message)).toEqual(
      {
        ok: false,
        why: 'bad-signature',
      },
    );
  });

  it.each([
    ['', 'admit file admit.keys holds no key (make its lines with fernet-chat-keygen --admission KEYFILE)'],
    [
      `# comment\n${TEST_KEY}\n`,
      'admit file admit.keys, line 2: this is a Fernet chat key, which must never be given to the hub; put there what fernet-chat-keygen --admission KEYFILE prints',
    ],
    [
      'hello world\n',
      'admit file admit.keys, line 1: not a public admission key (43 base64url characters, as fernet-chat-keygen --admission KEYFILE prints)',
    ],
  ])('refuses %j with one line that names the file and line', (text, message) => {
    expect(() => AdmitList.parse(text, 'admit.keys')).toThrow(new AdmitFileError(message));
  });
});

describe('answerChallenge', () => {
  const ring = new KeyRing([FernetKey.parse(OTHER_KEY), FernetKey.parse(TEST_KEY)]);

  it('signs with every key of the ring, each pair checkable by the hub', () => {
    const reply = answerChallenge(ring, challengeLine(VECTOR.nonce, VECTOR.hubName), VECTOR.hubName);
    if (!reply.ok) throw new Error(reply.message);
    const answer = parseAnswer(reply.line);
    if (!answer.ok) throw new Error(answer.detail);
    expect(answer.pairs.map((pair) => pair.publicKey)).toEqual(
      ring.keys.map((key) => admissionKeyOf(key).publicKey),
    );
    expect(answer.pairs[1]!.signature).toBe(VECTOR.signature);
  });

  it('will not sign a challenge that names another hub than the one we meant to reach', () => {
    expect(answerChallenge(ring, challengeLine(VECTOR.nonce, 'evil.example.org'), VECTOR.hubName)).toEqual({
      ok: false,
      message:
        'the hub calls itself evil.example.org, not chat.example.org: not answering its challenge (if that is its name, add --hub-name evil.example.org)',
    });
    // Host names are not case-sensitive.
    expect(answerChallenge(ring, challengeLine(VECTOR.nonce, 'Chat.Example.ORG'), VECTOR.hubName).ok).toBe(
      true,
    );
  });
});
