import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plainSession, scramSession } from '../../../src/kafka-wire/index.js';

// RFC 7677 section 3 (SCRAM-SHA-256, user "user", password "pencil").
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

describe('SASL mechanisms', () => {
  test('PLAIN sends NUL user NUL password and accepts only an empty reply', () => {
    const s = plainSession('alice', 'secret');
    assert.deepEqual(s.initial(), Buffer.from('\0alice\0secret'));
    assert.equal(s.respond(Buffer.alloc(0)), null);
    assert.throws(() => plainSession('a', 'b').respond(Buffer.from('x')), /expected none/);
  });

  test('SCRAM-SHA-256 reproduces the RFC 7677 exchange and verifies the server signature', () => {
    const s = scramSession('SCRAM-SHA-256', 'user', 'pencil', NONCE);
    assert.equal(s.initial().toString(), `n,,n=user,r=${NONCE}`);
    assert.equal(s.respond(Buffer.from(SERVER_FIRST))?.toString(), CLIENT_FINAL);
    assert.equal(s.respond(Buffer.from(SERVER_FINAL)), null);
  });

  test('SCRAM rejects a forged server signature, a foreign nonce, too few iterations and e=', () => {
    const forged = scramSession('SCRAM-SHA-256', 'user', 'pencil', NONCE);
    forged.respond(Buffer.from(SERVER_FIRST));
    assert.throws(() => forged.respond(Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')), /does not verify/);
    const wrongPassword = scramSession('SCRAM-SHA-256', 'user', 'pencil!', NONCE);
    wrongPassword.respond(Buffer.from(SERVER_FIRST));
    assert.throws(() => wrongPassword.respond(Buffer.from(SERVER_FINAL)), /does not verify/);
    assert.throws(() => scramSession('SCRAM-SHA-256', 'user', 'pencil', NONCE).respond(Buffer.from(SERVER_FIRST.replace('rOprNG', 'XOprNG'))), /nonce/);
    assert.throws(() => scramSession('SCRAM-SHA-256', 'user', 'pencil', NONCE).respond(Buffer.from(SERVER_FIRST.replace('i=4096', 'i=4095'))), /iteration/);
    assert.throws(() => scramSession('SCRAM-SHA-256', 'user', 'pencil', NONCE).respond(Buffer.from(SERVER_FIRST.replace('i=4096', 'i=99999999999'))), /iteration/);
    assert.throws(() => scramSession('SCRAM-SHA-512', 'user', 'pencil', NONCE).respond(Buffer.from('e=other-error')), /other-error/);
  });

  test('SCRAM escapes = and , in the user name and sends the password without SASLprep', () => {
    const s = scramSession('SCRAM-SHA-512', 'a=b,c', 'pässword', 'n0nce');
    assert.equal(s.initial().toString(), 'n,,n=a=3Db=2Cc,r=n0nce');
    const final = s.respond(Buffer.from('r=n0nceSERVER,s=c2FsdA==,i=4096'))!.toString();
    assert.match(final, /^c=biws,r=n0nceSERVER,p=[A-Za-z0-9+/]{86}==$/);
  });
});
